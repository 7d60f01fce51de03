import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../api/client";
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
  const active = wallets.data?.items.filter((w) => w.status === "ACTIVE") ?? [];

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const src = active.find((w) => w.id === f.get("source"));
    if (!src) return setError(new Error("Choose the wallet to send from."));
    const p = parseAmount(String(f.get("amount")), src.currency);
    if (!p.ok) return setError(new Error(p.error));
    const body: Schemas["CreateTransferRequest"] = {
      source_wallet_id: src.id,
      destination_wallet_id: String(f.get("to")).trim(),
      amount: p.minor,
      currency: src.currency,
      mode,
    };
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
      setError(err);
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
        <label>
          To wallet id <input name="to" required autoComplete="off" spellcheck={false} aria-describedby="to-hint" />
        </label>
        <p id="to-hint" class="hint">
          Ask the person you pay for the id of their wallet in the same currency.
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
        <button disabled={busy}>{busy ? "Sending…" : mode === "hold" ? "Place hold" : "Send"}</button>
      </form>
    </Page>
  );
}

function formatPlain(w: Schemas["Wallet"]) {
  return formatMoney(w.available, w.currency);
}
