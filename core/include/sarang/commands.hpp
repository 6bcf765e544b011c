#pragma once
// The rules of the commands outbox that do not need a database or a broker (docs/commands.md):
// the state machine, how a device's answer is paired with the command it settles, and what the
// answer says about success. The plugin and the sidecar both use them; SQL enforces the same
// state machine (sql/0008_commands.sql).
#include "sarang/device_kinds.hpp"
#include "sarang/json.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sarang::commands {

enum class State { queued, sent, acked, failed, expired };

std::string_view state_name(State state);
std::optional<State> parse_state(std::string_view name);
bool is_final(State state);
// Monotonic: queued -> sent -> acked | failed | expired, queued -> expired, and sent -> sent
// (a resend after the device reconnected). A final state never changes.
bool may_change(State from, State to);

// The text of a correlation value as stored in commands.correlation: a JSON string as itself,
// a number or boolean as its JSON text; nullopt for absent, null, objects and arrays.
std::optional<std::string> correlation_value(const json_t* object, std::string_view field);

// A command in state sent, as the matcher sees it.
struct SentCommand {
    std::string id;
    std::string subtopic;
    std::optional<std::string> correlation;
};

// Which of `sent` (oldest first) an answer on `ack_subtopic` settles, by index:
// 1. the answer carries "id": only the command with that id (Sarang firmware echoes it);
// 2. else, when the command topic has a correlation field and the answer carries it: the oldest
//    command with an equal key; failing that, unless the field is required, the oldest command
//    that had no key;
// 3. else, unless the field is required: the oldest command on a topic this one answers.
// nullopt: it settles nothing (a duplicate, a stale answer, a periodic status).
// `answer` may be nullptr (not a JSON object): only rule 3 applies.
std::optional<std::size_t> match_answer(const KindSpec& kind, std::string_view ack_subtopic,
                                        const json_t* answer, std::span<const SentCommand> sent);

// What an answer says: failed when "ok" or "success" is false, or when neither is present and
// "error" is a non-empty string; acked otherwise (a relay's state, a lock's status).
struct Verdict {
    State state = State::acked;
    std::optional<std::string> error;
};
Verdict judge_answer(const json_t* answer);

// Whether a caller who may see the device may queue on `subtopic` through the generic commands
// route: allowed; unknown_topic (not a command topic of the kind: check_command answers why);
// admin_only; use_route (`route` says which).
enum class RawVerdict { allowed, unknown_topic, admin_only, use_route };
struct RawDecision {
    RawVerdict verdict = RawVerdict::unknown_topic;
    std::string_view route; // use_route: "METHOD path"
};
RawDecision raw_command_decision(const KindSpec* kind, std::string_view subtopic,
                                 bool caller_is_admin);

// Checks a command before it is queued; an error message naming what is wrong, or nullopt.
// field: "subtopic", "payload" or "timeout_s".
struct Problem {
    std::string field;
    std::string message;
};
constexpr std::size_t max_payload_bytes = 16 * 1024;
constexpr long long max_timeout_s = 7 * 24 * 3600;
std::optional<Problem> check_command(const KindSpec* kind, std::string_view subtopic,
                                     const json_t* payload, long long timeout_s);

} // namespace sarang::commands
