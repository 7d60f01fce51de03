// The app shell: hash routes, the session, the navigation with the unread badge.
import { useEffect, useState } from "preact/hooks";
import { api, getAccessToken, whenUnauthenticated, type User } from "./api/client";
import * as auth from "./auth";
import { LoginPage, SignupPage, VerifyPage } from "./pages/auth";
import { WalletsPage, StatementPage } from "./pages/wallets";
import { SendPage } from "./pages/send";
import { RequestsPage } from "./pages/requests";
import { TransfersPage, TransferPage } from "./pages/transfers";
import { NotificationsPage } from "./pages/notifications";
import { RewardsPage } from "./pages/rewards";
import { AuditPage, LedgerPage, ReviewPage, WalletAdminPage } from "./pages/admin";

/** How often the unread badge is refreshed, in ms. */
const BADGE_POLL_MS = 10000;

function useHash() {
  const [hash, setHash] = useState(location.hash || "#/");
  useEffect(() => {
    const f = () => setHash(location.hash || "#/");
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  return hash;
}

export function go(path: string) {
  location.hash = path;
}

export function App() {
  const hash = useHash();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [unread, setUnread] = useState(0);

  useEffect(() => {
    whenUnauthenticated(() => setUser(null));
    auth
      .refresh()
      .then((ok) => (ok ? auth.me() : null))
      .then(setUser, () => setUser(null));
  }, []);

  const signedIn = (u: User) => {
    setUser(u);
    go("#/");
  };

  useEffect(() => {
    if (!user) return;
    let live = true;
    const tick = () =>
      api.GET("/v1/notifications", { params: { query: { limit: 1 } } }).then(({ data }) => live && data && setUnread(data.unread_count));
    tick();
    const t = setInterval(tick, BADGE_POLL_MS);
    addEventListener("wallet:notifications", tick);
    return () => {
      live = false;
      clearInterval(t);
      removeEventListener("wallet:notifications", tick);
    };
  }, [user, hash]);

  if (user === undefined) return <p class="status">Loading…</p>;
  const [path, query = ""] = hash.slice(1).split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean);

  let page;
  if (!user) {
    if (parts[0] === "login") page = <LoginPage onIn={signedIn} email={params.get("email") ?? ""} />;
    else if (parts[0] === "verify") page = <VerifyPage email={params.get("email") ?? ""} />;
    else page = <SignupPage onIn={signedIn} />;
  } else {
    const admin = user.role === "admin";
    switch (parts[0]) {
      case "wallets":
        page = parts[1] ? <StatementPage id={parts[1]} /> : <WalletsPage />;
        break;
      case "send":
        page = <SendPage from={params.get("from") ?? ""} />;
        break;
      case "requests":
        page = <RequestsPage />;
        break;
      case "transfers":
        page = parts[1] ? <TransferPage id={parts[1]} /> : <TransfersPage />;
        break;
      case "notifications":
        page = <NotificationsPage />;
        break;
      case "rewards":
        page = <RewardsPage />;
        break;
      case "admin":
        page = !admin ? <p role="alert">Operators only.</p> : parts[1] === "audit" ? <AuditPage target={params.get("target") ?? ""} /> : parts[1] === "ledger" ? <LedgerPage /> : parts[1] === "wallets" ? <WalletAdminPage /> : <ReviewPage />;
        break;
      default:
        page = <WalletsPage />;
    }
  }

  const out = async () => {
    await auth.logout(getAccessToken());
    setUser(null);
    go("#/login");
  };

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header>
        <a class="brand" href="#/">
          Wallet
        </a>
        {user && (
          <nav aria-label="Main">
            <a href="#/wallets">Wallets</a>
            <a href="#/send">Send</a>
            <a href="#/requests">Requests</a>
            <a href="#/transfers">Transfers</a>
            <a href="#/notifications" aria-label={`Notifications, ${unread} unread`}>
              Notifications{" "}
              {unread > 0 && (
                <span class="badge" data-testid="unread">
                  {unread}
                </span>
              )}
            </a>
            <a href="#/rewards">Rewards</a>
            {user.role === "admin" && (
              <>
                <a href="#/admin/review">Review desk</a>
                <a href="#/admin/audit">Audit</a>
                <a href="#/admin/ledger">Ledger</a>
                <a href="#/admin/wallets">Freeze</a>
              </>
            )}
            <button type="button" class="link" onClick={out}>
              Log out
            </button>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1} key={hash}>
        {page}
      </main>
    </>
  );
}
