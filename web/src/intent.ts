import { useRef } from "preact/hooks";
import { Intent } from "./api/client";

/**
 * useIntent gives the form's current intent: the same Intent (and so the same
 * Idempotency-Key) for as long as the request it sends is the same, so a second click or
 * a retry after a lost answer repeats the first request; a changed request is a new intent.
 * done() ends the intent after its final answer.
 */
export function useIntent() {
  const cur = useRef<{ intent: Intent; sig: string } | null>(null);
  return {
    for(request: unknown): Intent {
      const sig = JSON.stringify(request);
      if (!cur.current || cur.current.sig !== sig) cur.current = { intent: new Intent(), sig };
      return cur.current.intent;
    },
    done() {
      cur.current = null;
    },
  };
}
