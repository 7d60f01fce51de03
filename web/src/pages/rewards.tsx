import { useState } from "preact/hooks";
import { api, unwrap } from "../api/client";
import { useIntent } from "../intent";
import { ErrorNote, Money, Page, Pager, Status, useLoad, usePages, when } from "../ui";
import { pointsValue } from "../money";

export function RewardsPage() {
  const pages = usePages();
  const r = useLoad(() => unwrap(api.GET("/v1/rewards", { params: { query: { limit: 20, cursor: pages.cursor } } })), [pages.cursor]);
  const w = useLoad(() => unwrap(api.GET("/v1/wallets")), []);
  const intent = useIntent();
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const redeem = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const text = String(f.get("points")).trim();
    if (!/^\d+$/.test(text) || text.length > 15 || Number(text) < 1) return setError(new Error("Enter a whole number of points."));
    const body = { points: Number(text), wallet_id: String(f.get("wallet")) };
    try {
      const { data } = await intent.for(body).run((key) => api.POST("/v1/rewards/redeem", { params: { header: { "Idempotency-Key": key } }, body }), setNote);
      intent.done();
      setNote(`Redeemed ${data.points} points.`);
      r.reload();
    } catch (err) {
      setError(err);
      setNote("");
    }
  };
  return (
    <Page title="Reward points">
      <ErrorNote error={r.error} />
      <p class="hint">You earn 1 point per whole unit you send; 100 points are worth 1 unit of the currency.</p>
      <ul class="wallets">
        {r.data?.balances.map((b) => (
          <li key={b.currency} class="card" data-testid={`points-${b.currency}`}>
            <h2>{b.currency}</h2>
            <p>
              <strong data-testid="points">{b.points}</strong> points, worth <Money minor={pointsValue(b.points, b.currency)} currency={b.currency} />
            </p>
          </li>
        ))}
      </ul>
      {r.data && r.data.balances.length === 0 && <p>No points yet: send money to earn some.</p>}
      <form class="card" onSubmit={redeem}>
        <h2>Redeem</h2>
        <label>
          Points <input name="points" inputMode="numeric" required autoComplete="off" />
        </label>
        <label>
          Into wallet
          <select name="wallet" required>
            {w.data?.items.map((x) => (
              <option key={x.id} value={x.id}>
                {x.currency} wallet
              </option>
            ))}
          </select>
        </label>
        <ErrorNote error={error} />
        {note && <Status text={note} />}
        <button>Redeem</button>
      </form>
      <h2 id="history-title">History</h2>
      <ul class="list" aria-labelledby="history-title">
        {r.data?.items.map((i) => (
          <li key={i.id} class="row">
            {i.kind}: {i.points} points ({i.currency}) <span class="hint">{when(i.created_at)}</span>
          </li>
        ))}
      </ul>
      <Pager pages={pages} next={r.data?.next_cursor} label="the points history" />
    </Page>
  );
}
