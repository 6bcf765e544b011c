#pragma once
// Who may call a route. Every route carries one (Router::add takes it as a required argument,
// and Access has no default), and the router enforces it before the handler runs — for upload
// routes before the first body byte — so a new route cannot forget its check. The handler reads
// the caller the router authenticated (Request::user(), device(), target()) instead of looking
// it up itself. docs/http-api.md's access table is printed from these rules
// (`sarang-httpd --print-access`).
#include <string>
#include <string_view>

namespace sarang::http {

enum class AccessKind {
    anyone,        // nothing checked by the router; the note says what the route checks itself
    device,        // a live device credential (Bearer or X-API-Key)
    user,          // a full session
    setup_session, // a session, the first-setup scope too
    admin,         // a full session of an administrator
    device_owner,  // a full session that may see device {id}: its owner, or an admin
};

class Access {
  public:
    // `checked_by` says why no credential is needed, or what the route checks instead.
    static constexpr Access anyone(std::string_view checked_by) {
        return {AccessKind::anyone, checked_by};
    }
    static constexpr Access device() { return {AccessKind::device, {}}; }
    static constexpr Access user() { return {AccessKind::user, {}}; }
    // The same, also with the token as ?access_token= (EventSource cannot send headers).
    static constexpr Access user_or_query_token() {
        Access access{AccessKind::user, {}};
        access.token_in_query_ = true;
        return access;
    }
    static constexpr Access setup_session() { return {AccessKind::setup_session, {}}; }
    // `refusal`: the 403 message a non-administrator gets.
    static constexpr Access admin(std::string_view refusal) { return {AccessKind::admin, refusal}; }
    // Someone else's device answers 404, as if it did not exist.
    static constexpr Access device_owner() { return {AccessKind::device_owner, {}}; }

    constexpr AccessKind kind() const { return kind_; }
    constexpr std::string_view note() const { return note_; }
    constexpr bool token_in_query() const { return token_in_query_; }

  private:
    constexpr Access(AccessKind kind, std::string_view note) : kind_(kind), note_(note) {}
    AccessKind kind_;
    std::string_view note_; // a literal: routes are registered from string constants
    bool token_in_query_ = false;
};

// One line for the access table, e.g. "a full session of an admin".
std::string describe(const Access& access);

} // namespace sarang::http
