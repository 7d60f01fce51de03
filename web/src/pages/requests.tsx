// Payment requests: ask a person (by email) for money, and the requests sent and
// received with what each status allows — the addressee pays (from a wallet of theirs,
// one Idempotency-Key per intent) or declines, the requester cancels.
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type Schemas, type Wallet } from "../api/client";
import { CURRENCIES, formatMoney, parseAmount, toDecimalString } from "../money";
import { useIntent } from "../intent";
import { DEFAULT_EXPIRY_HOURS, MAX_EXPIRY_HOURS, MIN_EXPIRY_HOURS, parseHours } from "../hours";
import { ErrorNote, Money, Page, Pager, Status, useLoad, usePages, when } from "../ui";

type PaymentRequest = Schemas["PaymentRequest"];

/** How many requests of each list one page shows. */
const REQUESTS_PAGE = 10;
/** How often the lists are read again while a payment of one of them runs, in ms. */
const PAYING_POLL_MS = 1000;

/** RequestStatus shows the status as a word (PAYING with an ellipsis while it runs), coloured as well. */
function RequestStatus({ r }: { r: PaymentRequest }) {
  return (
    <span class={`tag s-${r.status.toLowerCase()}`} data-testid="request-status">
      {r.status === "PAYING" ? "PAYING…" : r.status}
    </span>
  );
}

export function RequestsPage() {
  const wallets = useLoad(() => unwrap(api.GET("/v1/wallets")), []);
  const sentPages = usePages();
  const receivedPages = usePages();
  const sent = useLoad(
    () => unwrap(api.GET("/v1/payment-requests", { params: { query: { role: "sent", limit: REQUESTS_PAGE, cursor: sentPages.cursor } } })),
    [sentPages.cursor],
  );
  const received = useLoad(
    () => unwrap(api.GET("/v1/payment-requests", { params: { query: { role: "received", limit: REQUESTS_PAGE, cursor: receivedPages.cursor } } })),
    [receivedPages.cursor],
  );
  const paying = [...(sent.data?.items ?? []), ...(received.data?.items ?? [])].some((r) => r.status === "PAYING");
  useEffect(() => {
    if (!paying) return;
    const t = setTimeout(() => (sent.reload(), received.reload(), wallets.reload()), PAYING_POLL_MS);
    return () => clearTimeout(t);
  });
  const changed = () => {
    sent.reload();
    received.reload();
    wallets.reload();
    dispatchEvent(new Event("wallet:notifications"));
  };
  const mine = wallets.data?.items ?? [];
  return (
    <Page title="Payment requests">
      <ErrorNote error={wallets.error || sent.error || received.error} />
      <AskForm wallets={mine} onMade={() => (sentPages.first ? sent.reload() : sentPages.reset())} />
      <h2 id="received-title">Asked of you</h2>
      {received.data && received.data.items.length === 0 && <p>Nobody has asked you for money.</p>}
      <ul class="list" aria-labelledby="received-title" data-testid="received">
        {received.data?.items.map((r) => (
          <ReceivedRow key={r.id} r={r} wallets={mine} onChange={changed} />
        ))}
      </ul>
      <Pager pages={receivedPages} next={received.data?.next_cursor} label="requests asked of you" />
      <h2 id="sent-title">You asked</h2>
      {sent.data && sent.data.items.length === 0 && <p>You have not asked anyone for money.</p>}
      <ul class="list" aria-labelledby="sent-title" data-testid="sent">
        {sent.data?.items.map((r) => (
          <SentRow key={r.id} r={r} onChange={changed} />
        ))}
      </ul>
      <Pager pages={sentPages} next={sent.data?.next_cursor} label="requests you made" />
    </Page>
  );
}

function AskForm({ wallets, onMade }: { wallets: Wallet[]; onMade: () => void }) {
  const intent = useIntent();
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const own: string[] = wallets.filter((w) => w.status === "ACTIVE").map((w) => w.currency);
  const currencies = [...own, ...CURRENCIES.filter((c) => !own.includes(c))];
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const currency = String(f.get("currency")) as Schemas["CurrencyCode"];
    const p = parseAmount(String(f.get("amount")), currency);
    if (!p.ok) return setError(new Error(p.error));
    const h = parseHours(String(f.get("hours")));
    if (!h.ok) return setError(new Error(h.error));
    const email = String(f.get("email")).trim();
    const body: Schemas["CreatePaymentRequestRequest"] = { to: { email }, amount: p.minor, currency, expires_in_hours: h.hours };
    const text = String(f.get("note") ?? "").trim();
    if (text) body.note = text;
    setBusy(true);
    try {
      await intent.for(body).run((key) => api.POST("/v1/payment-requests", { params: { header: { "Idempotency-Key": key } }, body }), setNote);
      intent.done();
      form.reset();
      setNote(`Asked ${email} for ${toDecimalString(p.minor, currency)} ${currency}.`);
      onMade();
    } catch (err) {
      setError(err);
      setNote("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="ask-title">
      <h2 id="ask-title">Ask for money</h2>
      <label>
        Their email <input name="email" type="email" required autoComplete="email" spellcheck={false} />
      </label>
      <label>
        Amount <input name="amount" inputMode="decimal" required autoComplete="off" />
      </label>
      <label>
        Currency
        <select name="currency" key={currencies[0]} defaultValue={currencies[0]}>
          {currencies.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </label>
      <label>
        Note (optional) <input name="note" maxLength={140} autoComplete="off" />
      </label>
      <label>
        Expires after (hours, {MIN_EXPIRY_HOURS} to {MAX_EXPIRY_HOURS})
        <input name="hours" inputMode="numeric" defaultValue={String(DEFAULT_EXPIRY_HOURS)} required autoComplete="off" />
      </label>
      <p class="hint">You are paid into your active wallet in the currency you ask in.</p>
      <ErrorNote error={error} />
      {note && <Status text={note} />}
      <button disabled={busy}>{busy ? "Asking…" : "Ask for money"}</button>
    </form>
  );
}

function Facts({ r, who }: { r: PaymentRequest; who: string }) {
  return (
    <p class="request-facts">
      <strong>
        <Money minor={r.amount} currency={r.currency} />
      </strong>{" "}
      {who} <RequestStatus r={r} /> {r.note && <span>“{r.note}”</span>}{" "}
      <span class="hint">
        {r.status === "PENDING" ? `expires ${when(r.expires_at)}` : r.status === "EXPIRED" ? `expired ${when(r.expires_at)}` : `updated ${when(r.updated_at)}`}
      </span>
      {r.transfer_id && (
        <>
          {" "}
          <a href={`#/transfers/${r.transfer_id}`}>The payment</a>
        </>
      )}
    </p>
  );
}

function ReceivedRow({ r, wallets, onChange }: { r: PaymentRequest; wallets: Wallet[]; onChange: () => void }) {
  const intent = useIntent();
  const from = wallets.filter((w) => w.currency === r.currency && w.status === "ACTIVE");
  const [wallet, setWallet] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const chosen = from.find((w) => w.id === wallet) ?? from[0];
  const pay = async () => {
    if (!chosen) return;
    setError(null);
    const body = { wallet_id: chosen.id };
    setBusy(true);
    try {
      const { status } = await intent.for({ id: r.id, body }).run((key) => api.POST("/v1/payment-requests/{id}/pay", { params: { path: { id: r.id }, header: { "Idempotency-Key": key } }, body }), setNote);
      intent.done();
      setNote(status === 202 ? "Paying: this list updates by itself." : "Paid.");
      onChange();
    } catch (err) {
      setError(err);
      setNote("");
      onChange();
    } finally {
      setBusy(false);
    }
  };
  const decline = async () => {
    setError(null);
    setBusy(true);
    try {
      await unwrap(api.POST("/v1/payment-requests/{id}/decline", { params: { path: { id: r.id } } }));
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const selectId = `pay-from-${r.id}`;
  return (
    <li class="row" data-request-id={r.id}>
      <p class="request-from" data-testid="request-from">
        {r.from ? `From ${r.from.email}` : "Who asked is not recorded on this request."}
      </p>
      <Facts r={r} who="asked of you" />
      {r.status === "PENDING" && (
        <div class="inline">
          {from.length === 0 ? (
            <p class="hint">Open an active {r.currency} wallet to pay this.</p>
          ) : (
            <>
              <label for={selectId}>Pay from</label>
              <select id={selectId} value={chosen?.id} onChange={(e) => setWallet(e.currentTarget.value)}>
                {from.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.currency} wallet — available {formatMoney(w.available, w.currency)}
                  </option>
                ))}
              </select>
              <button type="button" disabled={busy} onClick={pay}>
                {busy ? "Paying…" : "Pay"}
              </button>
            </>
          )}
          <button type="button" class="secondary" disabled={busy} onClick={decline}>
            Decline
          </button>
        </div>
      )}
      <ErrorNote error={error} />
      {note && <Status text={note} />}
    </li>
  );
}

function SentRow({ r, onChange }: { r: PaymentRequest; onChange: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const cancel = async () => {
    setError(null);
    setBusy(true);
    try {
      await unwrap(api.POST("/v1/payment-requests/{id}/cancel", { params: { path: { id: r.id } } }));
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="row" data-request-id={r.id}>
      <Facts r={r} who={`asked of ${r.to.email}`} />
      {r.status === "PENDING" && (
        <button type="button" class="secondary" disabled={busy} onClick={cancel}>
          Cancel request
        </button>
      )}
      <ErrorNote error={error} />
    </li>
  );
}
