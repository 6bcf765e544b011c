#include "auth/route_access.hpp"

#include "auth/caller.hpp"
#include "handlers/device_access.hpp"
#include "http_error.hpp"

namespace sarang::http {

void authenticate(Services& services, const Access& access, Request& request) {
    switch (access.kind()) {
    case AccessKind::anyone:
        return;
    case AccessKind::device:
        request.device_caller = require_device(services, request);
        return;
    case AccessKind::user:
        request.user_caller =
            require_user(services, access.token_in_query() ? with_query_token(request) : request,
                         SessionScope::full_only);
        return;
    case AccessKind::setup_session:
        request.user_caller = require_user(services, request, SessionScope::setup_too);
        return;
    case AccessKind::admin:
        request.user_caller = require_user(services, request, SessionScope::full_only);
        if (!request.user_caller->admin())
            throw HttpError(403, "forbidden", access.note());
        return;
    case AccessKind::device_owner: {
        request.user_caller = require_user(services, request, SessionScope::full_only);
        const std::string* id = request.param("id");
        if (id == nullptr) // a route table mistake, not the client's
            throw std::logic_error("a device_owner route without {id}");
        request.target_device = visible_device(services, *request.user_caller, *id);
        return;
    }
    }
}

} // namespace sarang::http
