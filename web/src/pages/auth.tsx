import { useState } from "preact/hooks";
import type { User } from "../api/client";
import * as auth from "../auth";
import { ErrorNote, Page, Status } from "../ui";

type In = { onIn: (u: User) => void };

export function SignupPage({ onIn }: In) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const email = String(f.get("email")), password = String(f.get("password")), name = String(f.get("name"));
    setBusy(true);
    setError(null);
    try {
      const next = await auth.signup(email, password, name);
      if (next === "verify") {
        location.hash = `#/verify?email=${encodeURIComponent(email)}`;
        return;
      }
      await auth.login(email, password);
      onIn(await auth.me());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Create your wallet">
      <form onSubmit={submit} class="card">
        <label>
          Name <input name="name" required maxLength={100} autoComplete="name" />
        </label>
        <label>
          Email <input name="email" type="email" required maxLength={254} autoComplete="email" />
        </label>
        <label>
          Password <input name="password" type="password" required minLength={12} maxLength={128} autoComplete="new-password" aria-describedby="pw-hint" />
        </label>
        <p id="pw-hint" class="hint">
          12 to 128 characters.
        </p>
        <ErrorNote error={error} />
        <button disabled={busy}>{busy ? "Creating…" : "Sign up"}</button>
      </form>
      <p>
        Have an account? <a href="#/login">Log in</a>
      </p>
    </Page>
  );
}

export function VerifyPage({ email }: { email: string }) {
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setError(null);
    try {
      await auth.verify(String(f.get("email")), String(f.get("code")).trim());
      location.hash = `#/login?email=${encodeURIComponent(String(f.get("email")))}`;
    } catch (err) {
      setError(err);
    }
  };
  const resend = async () => {
    await auth.resendCode(email).catch(setError);
    setNote("If the address has an account, a new code is on its way.");
  };
  return (
    <Page title="Verify your email">
      <p>We sent a 6-digit code to your email address.</p>
      <form onSubmit={submit} class="card">
        <label>
          Email <input name="email" type="email" required defaultValue={email} autoComplete="email" />
        </label>
        <label>
          Code <input name="code" required inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code" />
        </label>
        <ErrorNote error={error} />
        <button>Verify</button>
        <button type="button" class="secondary" onClick={resend}>
          Send a new code
        </button>
        {note && <Status text={note} />}
      </form>
    </Page>
  );
}

export function LoginPage({ onIn, email }: In & { email: string }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await auth.login(String(f.get("email")), String(f.get("password")));
      onIn(await auth.me());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Log in">
      <form onSubmit={submit} class="card">
        <label>
          Email <input name="email" type="email" required defaultValue={email} autoComplete="email" />
        </label>
        <label>
          Password <input name="password" type="password" required autoComplete="current-password" />
        </label>
        <ErrorNote error={error} />
        <button disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
      </form>
      <p>
        New here? <a href="#/signup">Create a wallet</a>
      </p>
    </Page>
  );
}
