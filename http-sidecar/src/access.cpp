#include "access.hpp"

namespace sarang::http {

std::string describe(const Access& access) {
    switch (access.kind()) {
    case AccessKind::anyone:
        return "anyone (" + std::string(access.note()) + ")";
    case AccessKind::device:
        return "a device credential";
    case AccessKind::user:
        return access.token_in_query() ? "a full session (also as `?access_token=`)"
                                       : "a full session";
    case AccessKind::setup_session:
        return "a session, a setup session too";
    case AccessKind::admin:
        return "a full session of an admin";
    case AccessKind::device_owner:
        return "a full session; the owner of device `{id}` (admins: any)";
    }
    return "?";
}

} // namespace sarang::http
