#include "sarang/commands.hpp"

#include <array>

namespace sarang::commands {
namespace {

constexpr std::array<std::string_view, 5> names = {"queued", "sent", "acked", "failed", "expired"};

// The commands that an answer on ack_subtopic may settle at all.
bool answers(const KindSpec& kind, std::string_view ack_subtopic, std::string_view subtopic) {
    const CommandTopic* topic = kind.command_topic(subtopic);
    return topic != nullptr && !topic->ack_subtopic.empty() && topic->ack_subtopic == ack_subtopic;
}

// The correlation rule of the command topics that ack_subtopic answers (the first that has one).
const CommandTopic* correlated_topic(const KindSpec& kind, std::string_view ack_subtopic) {
    for (const CommandTopic& topic : kind.commands) {
        if (topic.ack_subtopic == ack_subtopic && !topic.correlation_field.empty())
            return &topic;
    }
    return nullptr;
}

std::optional<bool> boolean_field(const json_t* object, const char* field) {
    const json_t* value = json_object_get(object, field);
    if (value == nullptr || !json_is_boolean(value))
        return std::nullopt;
    return json_is_true(value);
}

} // namespace

std::string_view state_name(State state) {
    return names[static_cast<std::size_t>(state)];
}

std::optional<State> parse_state(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name)
            return static_cast<State>(i);
    }
    return std::nullopt;
}

bool is_final(State state) {
    return state == State::acked || state == State::failed || state == State::expired;
}

bool may_change(State from, State to) {
    switch (from) {
    case State::queued:
        return to == State::sent || to == State::expired;
    case State::sent:
        return to == State::sent || to == State::acked || to == State::failed ||
               to == State::expired;
    case State::acked:
    case State::failed:
    case State::expired:
        break;
    }
    return false;
}

std::optional<std::string> correlation_value(const json_t* object, std::string_view field) {
    if (object == nullptr || !json_is_object(object) || field.empty())
        return std::nullopt;
    const json_t* value = json_object_get(object, std::string(field).c_str());
    if (value == nullptr)
        return std::nullopt;
    if (json_is_string(value))
        return std::string(json_string_value(value), json_string_length(value));
    if (json_is_number(value) || json_is_boolean(value))
        return json::dump(value);
    return std::nullopt;
}

std::optional<std::size_t> match_answer(const KindSpec& kind, std::string_view ack_subtopic,
                                        const json_t* answer, std::span<const SentCommand> sent) {
    const json_t* object = answer != nullptr && json_is_object(answer) ? answer : nullptr;
    if (object != nullptr) {
        const json_t* id = json_object_get(object, "id");
        if (id != nullptr && json_is_string(id)) {
            std::string_view wanted(json_string_value(id), json_string_length(id));
            for (std::size_t i = 0; i < sent.size(); ++i) {
                if (sent[i].id == wanted && answers(kind, ack_subtopic, sent[i].subtopic))
                    return i;
            }
            return std::nullopt;
        }
    }
    const CommandTopic* correlated = correlated_topic(kind, ack_subtopic);
    if (correlated != nullptr) {
        std::optional<std::string> key = correlation_value(object, correlated->correlation_field);
        if (key) {
            std::optional<std::size_t> keyless;
            for (std::size_t i = 0; i < sent.size(); ++i) {
                if (!answers(kind, ack_subtopic, sent[i].subtopic))
                    continue;
                if (sent[i].correlation == key)
                    return i;
                if (!sent[i].correlation && !keyless)
                    keyless = i;
            }
            return correlated->correlation_required ? std::nullopt : keyless;
        }
        if (correlated->correlation_required)
            return std::nullopt;
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (answers(kind, ack_subtopic, sent[i].subtopic))
            return i;
    }
    return std::nullopt;
}

Verdict judge_answer(const json_t* answer) {
    if (answer == nullptr || !json_is_object(answer))
        return {};
    std::optional<bool> ok = boolean_field(answer, "ok");
    if (!ok)
        ok = boolean_field(answer, "success");
    const json_t* error = json_object_get(answer, "error");
    std::optional<std::string> text;
    if (error != nullptr && json_is_string(error) && json_string_length(error) > 0)
        text = std::string(json_string_value(error), json_string_length(error));
    if (ok.value_or(!text))
        return {};
    return {State::failed, text ? text : std::optional<std::string>("the device reported failure")};
}

RawDecision raw_command_decision(const KindSpec* kind, std::string_view subtopic,
                                 bool caller_is_admin) {
    const CommandTopic* topic = kind ? kind->command_topic(subtopic) : nullptr;
    if (topic == nullptr)
        return {RawVerdict::unknown_topic, {}};
    switch (topic->sender) {
    case CommandSender::owner:
        return {RawVerdict::allowed, {}};
    case CommandSender::admin:
        return {caller_is_admin ? RawVerdict::allowed : RawVerdict::admin_only, {}};
    case CommandSender::route_only:
        break;
    }
    return {RawVerdict::use_route, topic->route};
}

std::optional<Problem> check_command(const KindSpec* kind, std::string_view subtopic,
                                     const json_t* payload, long long timeout_s) {
    if (kind == nullptr)
        return Problem{"subtopic", "this device's kind takes no commands"};
    if (kind->command_topic(subtopic) == nullptr) {
        std::string list;
        for (const CommandTopic& topic : kind->commands)
            list += (list.empty() ? "" : ", ") + std::string(topic.subtopic);
        return Problem{"subtopic", "must be a command topic of kind " + std::string(kind->name) +
                                       " (" + (list.empty() ? "none" : list) + ")"};
    }
    if (payload == nullptr || !json_is_object(payload))
        return Problem{"payload", "must be a JSON object"};
    if (json_object_get(payload, "id") != nullptr)
        return Problem{"payload", "must not carry \"id\": Sarang sets it to the command's id"};
    if (json::dump(payload).size() > max_payload_bytes)
        return Problem{"payload", "must be at most 16384 bytes as compact JSON"};
    if (timeout_s < 1 || timeout_s > max_timeout_s)
        return Problem{"timeout_s", "must be between 1 and 604800 seconds"};
    return std::nullopt;
}

} // namespace sarang::commands
