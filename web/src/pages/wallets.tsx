import { useState } from "preact/hooks";
import { api, ApiError, unwrap, type Wallet, type Schemas } from "../api/client";
import { CURRENCIES, parseAmount, toDecimalString } from "../money";
import { useIntent } from "../intent";
import { ErrorNote, Money, Page, Pager, Status, useLoad, usePages, when } from "../ui";

export function WalletsPage() {
  const { data, error, reload } = useLoad(() => unwrap(api.GET("/v1/wallets")), []);
  return (
    <Page title="Your wallets">
      <ErrorNote error={error} />
      {data && data.items.length === 0 && <p>You have no wallet yet. Open one below.</p>}
      <ul class="wallets">
        {data?.items.map((w) => (
          <WalletCard key={w.id} w={w} onChange={reload} />
        ))}
      </ul>
      <OpenWallet have={data?.items.map((w) => w.currency) ?? []} onOpen={reload} />
    </Page>
  );
}

function WalletCard({ w, onChange }: { w: Wallet; onChange: () => void }) {
  return (
    <li class="card wallet" data-testid={`wallet-${w.currency}`} data-wallet-id={w.id}>
      <h2>
        {w.currency} wallet {w.status !== "ACTIVE" && <span class="tag">{w.status}</span>}
      </h2>
      <dl class="amounts">
        <div>
          <dt>Balance</dt>
          <dd data-testid="balance">
            <Money minor={w.balance} currency={w.currency} />
          </dd>
        </div>
        <div>
          <dt>Held</dt>
          <dd data-testid="held">
            <Money minor={w.held} currency={w.currency} />
          </dd>
        </div>
        <div>
          <dt>Available</dt>
          <dd data-testid="available">
            <Money minor={w.available} currency={w.currency} />
          </dd>
        </div>
      </dl>
      <p class="hint">
        Wallet id (share it to be paid): <code data-testid="wallet-id">{w.id}</code>
      </p>
      <p class="actions">
        <a href={`#/wallets/${w.id}`}>Statement</a> <a href={`#/send?from=${w.id}`}>Send from this wallet</a>
      </p>
      <TopUp w={w} onDone={onChange} />
      <Withdraw w={w} onDone={onChange} />
    </li>
  );
}

type AmountBody = { amount: number; description: string };

/** MoneyForm is one amount typed as text, sent under one Idempotency-Key per intent: a
 * top-up or a withdrawal, which differ only in their words, their route and the
 * refusals they word themselves. */
function MoneyForm({ w, onDone, kind, idPrefix, label, button, busyText, done, send, wordError = (err) => err, buttonClass }: {
  w: Wallet;
  onDone: () => void;
  kind: string;
  idPrefix: string;
  label: string;
  button: string;
  busyText: string;
  done: string;
  send: (key: string, body: AmountBody) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
  wordError?: (err: unknown) => unknown;
  buttonClass?: string;
}) {
  const intent = useIntent();
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const p = parseAmount(text, w.currency);
    if (!p.ok) return setError(new Error(p.error));
    const body = { amount: p.minor, description: kind };
    const it = intent.for({ w: w.id, body });
    setBusy(true);
    try {
      await it.run((key) => send(key, body), setNote);
      intent.done();
      setText("");
      setNote(`${done} ${toDecimalString(p.minor, w.currency)} ${w.currency}.`);
      onDone();
      dispatchEvent(new Event("wallet:notifications"));
    } catch (err) {
      setError(wordError(err));
      setNote("");
    } finally {
      setBusy(false);
    }
  };
  const id = `${idPrefix}-${w.id}`;
  return (
    <form onSubmit={submit} class="inline">
      <label for={id}>{label} ({w.currency})</label>
      <input id={id} inputMode="decimal" value={text} onInput={(e) => setText(e.currentTarget.value)} autoComplete="off" required />
      <button class={buttonClass} disabled={busy}>{busy ? busyText : button}</button>
      <ErrorNote error={error} />
      {note && <Status text={note} />}
    </form>
  );
}

function TopUp({ w, onDone }: { w: Wallet; onDone: () => void }) {
  return (
    <MoneyForm w={w} onDone={onDone} kind="Top-up" idPrefix="topup" label="Top up amount" button="Top up" busyText="Adding…" done="Added"
      send={(key, body) => api.POST("/v1/wallets/{id}/credits", { params: { path: { id: w.id }, header: { "Idempotency-Key": key } }, body })} />
  );
}

/** withdrawError words the refusals particular to a withdrawal (its limits, what is available). */
function withdrawError(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.code === "limit_exceeded") {
    return new ApiError(err.status, err.code, "That is more than you can withdraw: a single withdrawal is limited, and so is what one wallet withdraws per day (UTC). Try a smaller amount, or tomorrow.");
  }
  if (err.code === "insufficient_funds") {
    return new ApiError(err.status, err.code, "You can withdraw at most the available balance (money in holds is not available).");
  }
  return err;
}

function Withdraw({ w, onDone }: { w: Wallet; onDone: () => void }) {
  return (
    <MoneyForm w={w} onDone={onDone} kind="Withdrawal" idPrefix="withdraw" label="Withdraw amount" button="Withdraw" busyText="Withdrawing…" done="Withdrew"
      send={(key, body) => api.POST("/v1/wallets/{id}/withdrawals", { params: { path: { id: w.id }, header: { "Idempotency-Key": key } }, body })}
      wordError={withdrawError} buttonClass="secondary" />
  );
}

function OpenWallet({ have, onOpen }: { have: string[]; onOpen: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const choices = CURRENCIES.filter((c) => !have.includes(c));
  const submit = async (e: Event) => {
    e.preventDefault();
    const currency = String(new FormData(e.currentTarget as HTMLFormElement).get("currency")) as Schemas["CurrencyCode"];
    setError(null);
    try {
      await unwrap(api.POST("/v1/wallets", { body: { currency } }));
      onOpen();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} class="card inline">
      <h2>Open a wallet</h2>
      <label for="open-currency">Currency</label>
      <select id="open-currency" name="currency">
        {choices.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
      <button>Open wallet</button>
      <ErrorNote error={error} />
    </form>
  );
}

type Entry = Schemas["Entry"];
/** Statement page size. */
const STATEMENT_PAGE = 20;

export function StatementPage({ id }: { id: string }) {
  const pages = usePages();
  const wallet = useLoad(() => unwrap(api.GET("/v1/wallets/{id}", { params: { path: { id } } })), [id]);
  const page = useLoad(
    () => unwrap(api.GET("/v1/wallets/{id}/entries", { params: { path: { id }, query: { limit: STATEMENT_PAGE, cursor: pages.cursor } } })),
    [id, pages.cursor],
  );
  const w = wallet.data;
  return (
    <Page title={w ? `${w.currency} statement` : "Statement"}>
      <ErrorNote error={wallet.error || page.error} />
      {w && (
        <p>
          Balance <Money minor={w.balance} currency={w.currency} />, available <Money minor={w.available} currency={w.currency} />
        </p>
      )}
      {page.data && w && <Chart entries={page.data.items} currency={w.currency} />}
      {page.data && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Statement entries">
          <table>
            <caption class="sr-only">Entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Amount</th>
                <th scope="col">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.created_at)}</td>
                  <td>{e.description || e.kind}</td>
                  <td class="num">
                    <Money minor={e.amount} currency={e.currency} />
                  </td>
                  <td class="num">
                    <Money minor={e.balance_after} currency={e.currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pages={pages} next={page.data?.next_cursor} label="the statement" />
    </Page>
  );
}

/** Chart draws the balance after each entry of the page, oldest on the left, as an SVG line. */
function Chart({ entries, currency }: { entries: Entry[]; currency: string }) {
  if (entries.length < 2) return null;
  const pts = [...entries].reverse();
  const values = pts.map((e) => e.balance_after);
  const lo = Math.min(0, ...values), hi = Math.max(...values);
  const W = 320, H = 100, span = hi - lo || 1;
  const xy = values.map((v, i) => `${((i / (values.length - 1)) * W).toFixed(1)},${(H - ((v - lo) / span) * H).toFixed(1)}`);
  const last = entries[0];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`Balance over the last ${entries.length} entries, now ${toDecimalString(last.balance_after, currency)} ${currency}`}>
        <polyline points={xy.join(" ")} fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption>Balance over time</figcaption>
    </figure>
  );
}
