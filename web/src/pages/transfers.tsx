import { useEffect, useState } from "preact/hooks";
import { api, isSettled, POLL_MS, unwrap, type Transfer } from "../api/client";
import { messageFor } from "../api/errors";
import { parseAmount } from "../money";
import { useIntent } from "../intent";
import { ErrorNote, Money, Page, Pager, Status, shortId, useLoad, usePages, when } from "../ui";

/** usePoll re-runs reload every POLL_MS while running is true. */
function usePoll(running: boolean, reload: () => void) {
  useEffect(() => {
    if (!running) return;
    const t = setTimeout(reload, POLL_MS);
    return () => clearTimeout(t);
  });
}

export function StatusTag({ t }: { t: Transfer }) {
  return (
    <span class={`tag s-${t.status.toLowerCase()}`} data-testid="status">
      {t.status === "PENDING" || t.status === "CAPTURING" ? `${t.status}…` : t.status}
    </span>
  );
}

/** Transfers page size. */
const TRANSFERS_PAGE = 25;

export function TransfersPage() {
  const pages = usePages();
  const { data, error, reload } = useLoad(
    () => unwrap(api.GET("/v1/transfers", { params: { query: { limit: TRANSFERS_PAGE, cursor: pages.cursor } } })),
    [pages.cursor],
  );
  usePoll(!!data?.items.some((t) => !isSettled(t.status)), reload);
  return (
    <Page title="Transfers">
      <ErrorNote error={error} />
      {data && data.items.length === 0 && <p>No transfers yet.</p>}
      <ul class="list">
        {data?.items.map((t) => (
          <li key={t.id} class="row">
            <a href={`#/transfers/${t.id}`}>
              {t.description || `Transfer ${shortId(t.id)}`}
            </a>{" "}
            <Money minor={t.amount} currency={t.currency} /> <StatusTag t={t} /> <span class="hint">{when(t.created_at)}</span>
          </li>
        ))}
      </ul>
      <Pager pages={pages} next={data?.next_cursor} label="transfers" />
    </Page>
  );
}

export function TransferPage({ id }: { id: string }) {
  const t = useLoad(() => unwrap(api.GET("/v1/transfers/{id}", { params: { path: { id } } })), [id]);
  const mine = useLoad(() => unwrap(api.GET("/v1/wallets")), []);
  usePoll(!!t.data && !isSettled(t.data.status), t.reload);
  const x = t.data;
  const payer = !!x && !!mine.data?.items.some((w) => w.id === x.source_wallet_id);
  const payee = !!x && !!mine.data?.items.some((w) => w.id === x.destination_wallet_id);
  return (
    <Page title="Transfer">
      <ErrorNote error={t.error} />
      {x && (
        <>
          <dl class="card facts">
            <dt>Status</dt>
            <dd>
              <StatusTag t={x} />
              {x.failure_reason && <span class="hint"> {messageFor(x.failure_reason)}</span>}
            </dd>
            <dt>Amount</dt>
            <dd data-testid="amount">
              <Money minor={x.amount} currency={x.currency} />
            </dd>
            {x.captured_amount !== undefined && (
              <>
                <dt>Captured</dt>
                <dd data-testid="captured">
                  <Money minor={x.captured_amount} currency={x.currency} />
                </dd>
              </>
            )}
            <dt>Mode</dt>
            <dd>{x.mode === "hold" ? "Hold" : "Pay now"}</dd>
            {x.expires_at && (
              <>
                <dt>Hold expires</dt>
                <dd>{when(x.expires_at)}</dd>
              </>
            )}
            <dt>From</dt>
            <dd>
              <code>{x.source_wallet_id}</code>
            </dd>
            <dt>To</dt>
            <dd>
              <code>{x.destination_wallet_id}</code>
            </dd>
            <dt>Id</dt>
            <dd>
              <code data-testid="transfer-id">{x.id}</code>
            </dd>
          </dl>
          {x.status !== "PENDING" && x.status !== "CAPTURING" ? null : <Status text="Working on it: this page updates by itself." />}
          {payer && x.status === "HELD" && <HoldActions t={x} onDone={t.reload} />}
          {payee && x.status === "COMPLETED" && !x.refund_of && <Refund t={x} />}
          <h2>Steps</h2>
          <ol class="steps">
            {(x.steps ?? []).map((s, i) => (
              <li key={i}>
                <strong>{s.name}</strong> {s.status} <span class="hint">{when(s.ended_at)}</span>
                {s.detail && <span class="hint"> — {s.detail}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </Page>
  );
}

function HoldActions({ t, onDone }: { t: Transfer; onDone: () => void }) {
  const capture = useIntent();
  const voider = useIntent();
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const act = async (what: "capture" | "void") => {
    setError(null);
    let body: { amount?: number } = {};
    if (what === "capture" && text.trim() !== "") {
      const p = parseAmount(text, t.currency);
      if (!p.ok) return setError(new Error(p.error));
      body = { amount: p.minor };
    }
    setBusy(true);
    try {
      if (what === "capture") {
        await capture.for(body).run((key) => api.POST("/v1/transfers/{id}/capture", { params: { path: { id: t.id }, header: { "Idempotency-Key": key } }, body }), setNote);
        capture.done();
      } else {
        await voider.for({}).run((key) => api.POST("/v1/transfers/{id}/void", { params: { path: { id: t.id }, header: { "Idempotency-Key": key } } }), setNote);
        voider.done();
      }
      setNote(what === "capture" ? "Captured." : "Voided: the money is available again.");
      onDone();
    } catch (err) {
      setError(err);
      setNote("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card">
      <h2>Settle the hold</h2>
      <label>
        Amount to capture ({t.currency}; empty captures all of <Money minor={t.amount} currency={t.currency} />)
        <input inputMode="decimal" value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" />
      </label>
      <p class="actions">
        <button type="button" disabled={busy} onClick={() => act("capture")}>
          Capture
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => act("void")}>
          Void
        </button>
      </p>
      <ErrorNote error={error} />
      {note && <Status text={note} />}
    </div>
  );
}

function Refund({ t }: { t: Transfer }) {
  const intent = useIntent();
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const p = parseAmount(text, t.currency);
    if (!p.ok) return setError(new Error(p.error));
    const body = { amount: p.minor };
    setBusy(true);
    try {
      const { data } = await intent.for(body).run((key) => api.POST("/v1/transfers/{id}/refunds", { params: { path: { id: t.id }, header: { "Idempotency-Key": key } }, body }), setNote);
      intent.done();
      location.hash = `#/transfers/${data.id}`;
    } catch (err) {
      setError(err);
      setNote("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card inline" onSubmit={submit}>
      <h2>Refund the payer</h2>
      <label for="refund-amount">Amount to refund ({t.currency})</label>
      <input id="refund-amount" inputMode="decimal" value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" required />
      <button disabled={busy}>{busy ? "Refunding…" : "Refund"}</button>
      <ErrorNote error={error} />
      {note && <Status text={note} />}
    </form>
  );
}
