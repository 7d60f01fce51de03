// Small shared pieces of the pages.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatMoney } from "./money";
import { ApiError } from "./api/client";

export function Money({ minor, currency }: { minor: number; currency: string }) {
  return <span class="money">{formatMoney(minor, currency)}</span>;
}

/** Page is one screen: its heading takes the focus when the screen changes. */
export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Wallet`;
    h.current?.focus();
  }, [title]);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={h}>
        {title}
      </h1>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

export function Status({ text }: { text: string }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {text}
    </p>
  );
}

/** useLoad runs a loader when its deps change and keeps its data, error and a reload. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

/** usePages keeps a list's position: the cursors of the pages stepped through, newest first. */
export function usePages() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    /** The cursor of the page shown (undefined: the newest). */
    cursor: cursors[cursors.length - 1],
    first: cursors.length < 2,
    newer: () => setCursors(cursors.slice(0, -1)),
    older: (next: string) => setCursors([...cursors, next]),
    reset: () => setCursors([undefined]),
  };
}

/**
 * Pager is a list's Newer and Older buttons over usePages; next is the page's
 * next_cursor (none on the oldest page); label names the list for assistive tech.
 */
export function Pager({ pages, next, label }: { pages: ReturnType<typeof usePages>; next?: string | null; label: string }) {
  return (
    <p class="actions" role="group" aria-label={`Pages of ${label}`}>
      <button type="button" class="secondary" disabled={pages.first} onClick={pages.newer}>
        Newer
      </button>
      <button type="button" class="secondary" disabled={!next} onClick={() => next && pages.older(next)}>
        Older
      </button>
    </p>
  );
}

export function shortId(id: string) {
  return id.slice(0, 8);
}

export function when(iso: string) {
  return new Date(iso).toLocaleString();
}
