import { api, unwrap } from "../api/client";
import { ErrorNote, Page, Pager, useLoad, usePages, when } from "../ui";

/** Notifications page size. */
const NOTIFICATIONS_PAGE = 50;

export function NotificationsPage() {
  const pages = usePages();
  const { data, error, reload } = useLoad(
    () => unwrap(api.GET("/v1/notifications", { params: { query: { limit: NOTIFICATIONS_PAGE, cursor: pages.cursor } } })),
    [pages.cursor],
  );
  const changed = () => {
    reload();
    dispatchEvent(new Event("wallet:notifications"));
  };
  const readOne = async (id: string) => {
    await unwrap(api.POST("/v1/notifications/{id}/read", { params: { path: { id } } }));
    changed();
  };
  const readAll = async () => {
    await unwrap(api.POST("/v1/notifications/read-all"));
    changed();
  };
  return (
    <Page title="Notifications">
      <ErrorNote error={error} />
      {data && (
        <p>
          <span data-testid="unread-count">{data.unread_count}</span> unread{" "}
          {data.unread_count > 0 && (
            <button type="button" class="secondary" onClick={readAll}>
              Mark all read
            </button>
          )}
        </p>
      )}
      {data && data.items.length === 0 && <p>Nothing yet.</p>}
      <ul class="list">
        {data?.items.map((n) => (
          <li key={n.id} class={n.read ? "row" : "row unread"}>
            {!n.read && <span class="sr-only">Unread: </span>}
            {n.transfer_id ? <a href={`#/transfers/${n.transfer_id}`}>{n.message}</a> : n.message} <span class="hint">{when(n.created_at)}</span>{" "}
            {!n.read && (
              <button type="button" class="secondary" onClick={() => readOne(n.id)}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
      <Pager pages={pages} next={data?.next_cursor} label="notifications" />
    </Page>
  );
}
