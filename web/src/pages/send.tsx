import { useState } from "preact/hooks";
import { api, ApiError, unwrap, type Schemas } from "../api/client";
import { formatMoney, parseAmount } from "../money";
import { useIntent } from "../intent";
import { ErrorNote, Page, Status, useLoad } from "../ui";

/** Hold expiries offered, in minutes (the API takes 60 s to 7 days). */
const EXPIRIES = [5, 60, 24 * 60, 7 * 24 * 60];

export function SendPage({ from }: { from: string }) {
  const wallets = useLoad(() => unwrap(api.GET("/v1/wallets")), []);
  const intent = useIntent();
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState<"immediate" | "hold">("immediate");
  const [to, setTo] = useState<"person" | "wallet">("person");
  const active = wallets.data?.items.filter((w) => w.status === "ACTIVE") ?? [];

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const src = active.find((w) => w.id === f.get("source"));
    if (!src) return setError(new Error("Choose the wallet to send from."));
    const p = parseAmount(String(f.get("amount")), src.currency);
    if (!p.ok) return setError(new Error(p.error));
    const dest = String(f.get("to")).trim();
    const body: Schemas["CreateTransferRequest"] = { source_wallet_id: src.id, amount: p.minor, currency: src.currency, mode };
    if (to === "person") body.recipient = { email: dest };
    else body.destination_wallet_id = dest;
    const description = String(f.get("description") ?? "").trim();
    if (description) body.description = description;
    if (mode === "hold") body.hold_expires_in_seconds = Number(f.get("expiry")) * 60;
    const it = intent.for(body);
    setBusy(true);
    try {
      const { data } = await it.run((key) => api.POST("/v1/transfers", { params: { header: { "Idempotency-Key": key } }, body }), setNote);
      intent.done();
      location.hash = `#/transfers/${data.id}`;
    } catch (err) {
      setError(to === "person" ? personError(err, src.currency) : err);
      setNote("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Send money">
      <ErrorNote error={wallets.error} />
      <form class="card" onSubmit={submit}>
        <label>
          From
          <select name="source" defaultValue={from} required>
            {active.map((w) => (
              <option key={w.id} value={w.id}>
                {w.currency} wallet — available {formatPlain(w)}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Send to</legend>
          <label class="radio">
            <input type="radio" name="to-kind" value="person" checked={to === "person"} onChange={() => setTo("person")} /> A person (email)
          </label>
          <label class="radio">
            <input type="radio" name="to-kind" value="wallet" checked={to === "wallet"} onChange={() => setTo("wallet")} /> A wallet id
          </label>
        </fieldset>
        {to === "person" ? (
          <label key="person">
            Their email <input name="to" type="email" required autoComplete="email" spellcheck={false} aria-describedby="to-hint" />
          </label>
        ) : (
          <label key="wallet">
            To wallet id <input name="to" required autoComplete="off" spellcheck={false} aria-describedby="to-hint" />
          </label>
        )}
        <p id="to-hint" class="hint">
          {to === "person"
            ? "The money goes to their wallet in the same currency; they need an account with a verified email and an active wallet in it."
            : "Ask the person you pay for the id of their wallet in the same currency."}
        </p>
        <label>
          Amount <input name="amount" inputMode="decimal" required autoComplete="off" />
        </label>
        <label>
          Description (optional) <input name="description" maxLength={140} />
        </label>
        <fieldset>
          <legend>When</legend>
          <label class="radio">
            <input type="radio" name="mode" value="immediate" checked={mode === "immediate"} onChange={() => setMode("immediate")} /> Pay now
          </label>
          <label class="radio">
            <input type="radio" name="mode" value="hold" checked={mode === "hold"} onChange={() => setMode("hold")} /> Hold, to capture or void later
          </label>
        </fieldset>
        {mode === "hold" && (
          <label>
            Hold expires after
            <select name="expiry" defaultValue="60">
              {EXPIRIES.map((m) => (
                <option key={m} value={m}>
                  {m < 60 ? `${m} minutes` : m < 1440 ? `${m / 60} hour` : m === 1440 ? "1 day" : "7 days"}
                </option>
              ))}
            </select>
          </label>
        )}
        <ErrorNote error={error} />
        {note && <Status text={note} />}
        {/* Until the wallets are read the From list is empty, and the browser would refuse
            the form without a word: the button waits for them. */}
        <button disabled={busy || active.length === 0}>{busy ? "Sending…" : mode === "hold" ? "Place hold" : "Send"}</button>
      </form>
    </Page>
  );
}

/**
 * personError words the answers that are particular to sending to an email: the one
 * answer for every address that cannot receive, and the hourly quota of such sends.
 */
function personError(err: unknown, currency: string): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.code === "recipient_unavailable") {
    return new ApiError(err.status, err.code, `This person cannot receive ${currency} here: there may be no account with that verified email, or it has no active ${currency} wallet. Check the address, or ask them for a wallet id.`);
  }
  if (err.status === 429) {
    return new ApiError(err.status, err.code, "Too many payments in a short time (sending to people by email is limited per hour). Try again later, or send to a wallet id.");
  }
  return err;
}

function formatPlain(w: Schemas["Wallet"]) {
  return formatMoney(w.available, w.currency);
}
