// GET /api/v1/stream: Server-Sent Events for the dashboard. First `retry: 3000` and one
// `event: snapshot` with the caller's devices (admins: all), then an `event: device` whenever
// one of them gets new data or changes presence, `event: resync` (the whole list again) when
// events may have been lost, and ": ping" comments in between. See StreamHub and
// docs/http-api.md.
//
// Browsers' EventSource cannot send headers, so this route alone also takes the session token
// as ?access_token=. The access log records paths without their query, so the token is not
// written there; anywhere else a URL is logged (a proxy), it should be kept out too.
#include "auth/caller.hpp"
#include "handlers.hpp"
#include "http_error.hpp"
#include "stream/sse.hpp"
#include "stream/stream_hub.hpp"

namespace sarang::http {
namespace {

constexpr int retry_ms = 3000;

HttpError refusal(StreamHub::Refusal refused) {
    Response response;
    switch (refused) {
    case StreamHub::Refusal::user_limit:
        response = error_response(429, "too_many_streams",
                                  "this account has the most open streams allowed; close one");
        break;
    case StreamHub::Refusal::server_limit:
        response = error_response(503, "busy", "the server has the most open streams allowed");
        break;
    default:
        response = error_response(503, "shutting_down", "the server is stopping");
        response.headers.emplace_back("Connection", "close");
        break;
    }
    response.headers.emplace_back("Retry-After", "5");
    return HttpError(std::move(response));
}

// Ends a stream that never reached its connection, so that it stops counting.
struct Abandon {
    std::shared_ptr<StreamBody> body;
    ~Abandon() {
        if (body)
            body->finish();
    }
};

Response open_stream(Services& services, StreamHub& hub, const Request& request) {
    const UserCaller& caller = request.user();
    Response response;
    response.content_type = "text/event-stream";
    // nginx buffers proxied responses unless told not to; events must not wait in a buffer.
    response.headers.emplace_back("X-Accel-Buffering", "no");
    if (request.method == "HEAD")
        return response;

    StreamViewer viewer{caller.user_id, caller.admin(), caller.session_row};
    StreamHub::Subscription subscription = hub.subscribe(viewer);
    if (!subscription.body)
        throw refusal(subscription.refused);
    Abandon guard{subscription.body};
    // Subscribed first, loaded second: an event that lands in between is queued behind the
    // snapshot instead of lost. At worst the client sees a change twice.
    std::vector<DeviceState> states = [&] {
        DbPool::Lease db = services.db.acquire();
        return load_device_states(*db, std::nullopt,
                                  caller.admin() ? std::nullopt
                                                 : std::optional(std::vector{caller.user_id}));
    }();
    subscription.body->push_front(sse::retry(retry_ms) +
                                  sse::event("snapshot", device_list_json(states, viewer)));
    response.stream = std::move(guard.body);
    return response;
}

} // namespace

void add_stream_routes(Router& router, Services& services, StreamHub& hub) {
    router.add(
        "GET", "/api/v1/stream", Access::user_or_query_token(),
        [&services, &hub](const Request& request) { return open_stream(services, hub, request); });
}

} // namespace sarang::http
