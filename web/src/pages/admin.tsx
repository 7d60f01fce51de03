// The operator console: the review desk, the audit trail, the ledger check, freeze and unfreeze.
import { useRef, useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../api/client";
import { useIntent } from "../intent";
import { ErrorNote, Money, Page, Pager, Status, shortId, useLoad, usePages, when } from "../ui";
import { StatusTag } from "./transfers";

type DeskStatus = "NEEDS_REVIEW" | "HELD" | "FAILED" | "PENDING" | "CAPTURING";
const DESK: DeskStatus[] = ["NEEDS_REVIEW", "HELD", "FAILED", "PENDING", "CAPTURING"];
type Item = Schemas["ReviewItem"];

export function ReviewPage() {
  const [status, setStatus] = useState<DeskStatus>("NEEDS_REVIEW");
  const [picked, setPicked] = useState<Item | null>(null);
  const list = useLoad(() => unwrap(api.GET("/v1/admin/transfers", { params: { query: { status, limit: 50 } } })), [status]);
  return (
    <Page title="Review desk">
      <label>
        Show
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value as DeskStatus)}>
          {DESK.map((s) => (
            <option key={s} value={s}>
              {s === "HELD" ? "HELD past expiry" : s}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={list.error} />
      {list.data && list.data.items.length === 0 && <p>Nothing here.</p>}
      <div class="scroll" tabIndex={0} role="region" aria-label="Transfers to review">
        <table>
          <caption class="sr-only">Transfers with status {status}</caption>
          <thead>
            <tr>
              <th scope="col">Transfer</th>
              <th scope="col">Amount</th>
              <th scope="col">Status</th>
              <th scope="col">Where the money is</th>
              <th scope="col">Since</th>
              <th scope="col">
                <span class="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((t) => (
              <tr key={t.id} data-testid={`desk-${t.id}`}>
                <td>
                  <code>{shortId(t.id)}</code>
                  {t.review?.cause && <div class="hint">{t.review.cause}</div>}
                </td>
                <td class="num">
                  <Money minor={t.amount} currency={t.currency} />
                </td>
                <td>
                  <StatusTag t={t} />
                </td>
                <td>{whereIs(t)}</td>
                <td>{when(t.review?.opened_at ?? t.updated_at)}</td>
                <td>
                  {t.status === "NEEDS_REVIEW" && (
                    <button type="button" onClick={() => setPicked(t)}>
                      Resolve…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {picked && (
        <Resolve
          t={picked}
          onClose={(done) => {
            setPicked(null);
            if (done) list.reload();
          }}
        />
      )}
    </Page>
  );
}

function whereIs(t: Item) {
  const m = t.money;
  if (m.posted) return "Paid to the payee";
  if (m.hold_open_amount > 0)
    return (
      <>
        Held on the payer: <Money minor={m.hold_open_amount} currency={t.currency} />
      </>
    );
  if (m.released || !m.reserved) return "Back with the payer";
  return "Reserved";
}

function Resolve({ t, onClose }: { t: Item; onClose: (done: boolean) => void }) {
  const intent = useIntent();
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const ref = useRef<HTMLDialogElement>(null);
  const open = (el: HTMLDialogElement | null) => {
    ref.current = el;
    if (el && !el.open) el.showModal();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const body = { action: String(f.get("action")) as "retry" | "complete" | "reverse", reason: String(f.get("reason")).trim() };
    if (!body.reason) return setError(new Error("Give a reason."));
    setError(null);
    try {
      await intent.for(body).run((key) => api.POST("/v1/admin/transfers/{id}/resolve", { params: { path: { id: t.id }, header: { "Idempotency-Key": key } }, body }), setNote);
      intent.done();
      ref.current?.close();
      onClose(true);
    } catch (err) {
      setError(err);
      setNote("");
    }
  };
  return (
    <dialog ref={open} aria-labelledby="resolve-title" onClose={() => onClose(false)}>
      <form onSubmit={submit}>
        <h2 id="resolve-title">Resolve transfer {shortId(t.id)}</h2>
        <p>
          <Money minor={t.amount} currency={t.currency} /> — {whereIs(t)}.
        </p>
        <fieldset>
          <legend>Action</legend>
          <label class="radio">
            <input type="radio" name="action" value="reverse" defaultChecked /> Reverse: give the money back to the payer
          </label>
          <label class="radio">
            <input type="radio" name="action" value="complete" /> Complete: pay the payee
          </label>
          <label class="radio">
            <input type="radio" name="action" value="retry" /> Retry the saga
          </label>
        </fieldset>
        <label>
          Reason <textarea name="reason" required maxLength={500} rows={3} />
        </label>
        <ErrorNote error={error} />
        {note && <Status text={note} />}
        <p class="actions">
          <button>Resolve</button>
          <button type="button" class="secondary" onClick={() => (ref.current?.close(), onClose(false))}>
            Cancel
          </button>
        </p>
      </form>
    </dialog>
  );
}

export function AuditPage({ target }: { target: string }) {
  const [filter, setFilter] = useState(target);
  const pages = usePages();
  const list = useLoad(
    () => unwrap(api.GET("/v1/admin/audit", { params: { query: { target: filter || undefined, limit: 25, cursor: pages.cursor } } })),
    [filter, pages.cursor],
  );
  return (
    <Page title="Audit trail">
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          pages.reset();
          setFilter(String(new FormData(e.currentTarget).get("target")).trim());
        }}
      >
        <label for="audit-target">Wallet or transfer id</label>
        <input id="audit-target" name="target" defaultValue={filter} autoComplete="off" />
        <button>Filter</button>
      </form>
      <ErrorNote error={list.error} />
      <ul class="list">
        {list.data?.items.map((a) => (
          <li key={a.id} class="row">
            <strong>{a.action}</strong> on {a.target_type} <code>{shortId(a.target_id)}</code> by <code>{shortId(a.actor_id)}</code>: “{a.reason}” <span class="hint">{when(a.at)}</span>
          </li>
        ))}
      </ul>
      <Pager pages={pages} next={list.data?.next_cursor} label="the audit trail" />
    </Page>
  );
}

export function LedgerPage() {
  const { data, error, reload } = useLoad(() => unwrap(api.GET("/v1/admin/ledger/check")), []);
  return (
    <Page title="Ledger check">
      <ErrorNote error={error} />
      {data && (
        <div class="card">
          <p data-testid="ledger-ok" class={data.ok ? "ok" : "error"}>
            {data.ok ? "The ledger balances." : "The ledger has violations."}
          </p>
          <p>
            {data.wallets_checked} wallets, {data.postings_checked} postings, {data.entries_checked} entries checked.
          </p>
          <ul>
            {data.violations.map((v) => (
              <li key={v}>{v}</li>
            ))}
          </ul>
        </div>
      )}
      <button type="button" onClick={reload}>
        Check again
      </button>
    </Page>
  );
}

export function WalletAdminPage() {
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [w, setW] = useState<Schemas["Wallet"] | null>(null);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const status = (e.submitter as HTMLButtonElement | null)?.value === "freeze" ? "FROZEN" : "ACTIVE";
    const id = String(f.get("wallet")).trim();
    setError(null);
    setNote("");
    try {
      const got = await unwrap(api.PATCH("/v1/wallets/{id}", { params: { path: { id } }, body: { status, reason: String(f.get("reason")).trim() } }));
      setW(got);
      setNote(`The wallet is now ${got.status}.`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title="Freeze or unfreeze a wallet">
      <form class="card" onSubmit={submit}>
        <label>
          Wallet id <input name="wallet" required autoComplete="off" spellcheck={false} />
        </label>
        <label>
          Reason <textarea name="reason" required maxLength={500} rows={2} />
        </label>
        <ErrorNote error={error} />
        {note && <Status text={note} />}
        <p class="actions">
          <button name="op" value="freeze" class="danger">
            Freeze
          </button>
          <button name="op" value="unfreeze">
            Unfreeze
          </button>
        </p>
      </form>
      {w && (
        <p>
          {w.currency} wallet <code>{w.id}</code>: <span class="tag">{w.status}</span>, balance <Money minor={w.balance} currency={w.currency} />
        </p>
      )}
    </Page>
  );
}
