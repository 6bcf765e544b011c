// A device's answer to a command (every kind's ack and result topics), paired with the sent
// commands it may settle, and the command a user queues through the REST API (check_command).
#include "fuzz_support.hpp"
#include "sarang/commands.hpp"

#include <vector>

namespace {

struct AckTopic {
    const sarang::KindSpec* kind;
    std::string_view subtopic;
};

std::vector<AckTopic> every_ack_topic() {
    std::vector<AckTopic> topics;
    for (const sarang::KindSpec& kind : sarang::all_kinds())
        for (const sarang::CommandTopic& command : kind.commands)
            if (!command.ack_subtopic.empty())
                topics.push_back({&kind, command.ack_subtopic});
    return topics;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<AckTopic> topics = every_ack_topic();
    FuzzedDataProvider input(data, size);
    const AckTopic& topic = topics[input.ConsumeIntegral<uint8_t>() % topics.size()];
    // Up to four sent commands on the kind's command topics, some with correlation keys.
    std::vector<sarang::commands::SentCommand> sent;
    for (int count = input.ConsumeIntegralInRange(0, 4); count > 0; --count) {
        const auto& commands = topic.kind->commands;
        const sarang::CommandTopic& command =
            commands[input.ConsumeIntegral<uint8_t>() % commands.size()];
        std::optional<std::string> key;
        if (input.ConsumeBool())
            key = input.ConsumeRandomLengthString(16);
        sent.push_back({"c" + std::to_string(count), std::string(command.subtopic), key});
    }
    std::string subtopic = input.ConsumeRandomLengthString(40);
    std::string payload = input.ConsumeRemainingBytesAsString();

    std::string error;
    sarang::json::Ptr answer = sarang::json::parse(payload, error);
    const json_t* object = json_is_object(answer.get()) ? answer.get() : nullptr;
    if (std::optional<std::size_t> match =
            sarang::commands::match_answer(*topic.kind, topic.subtopic, object, sent))
        FUZZ_CHECK(*match < sent.size());
    sarang::commands::Verdict verdict = sarang::commands::judge_answer(object);
    FUZZ_CHECK(verdict.state == sarang::commands::State::acked ||
               verdict.state == sarang::commands::State::failed);

    // The same bytes as a command someone queues: a problem, or a command within the limits.
    if (!sarang::commands::check_command(topic.kind, subtopic, answer.get(), 60))
        FUZZ_CHECK(topic.kind->command_topic(subtopic) != nullptr);
    return 0;
}
