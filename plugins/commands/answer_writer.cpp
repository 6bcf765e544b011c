// The answer writer worker: settles sent commands with the devices' answers.
//
// For each answer: the device's kind and prefix say whether the topic answers any of its
// command topics; the matcher (core commands.hpp, docs/commands.md) picks the sent command it
// settles; the UPDATE only changes a command still in state sent, so a duplicate answer, or one
// arriving after the deadline expired the command, changes nothing. The loop is core's DbLoop:
// on a database outage the answer is retried until it is written or the plugin stops; an
// answer that fails any other way is counted, logged (sampled) and dropped, never the worker.
#include "commands_plugin.hpp"
#include "sarang/commands.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"
#include "sarang/rejection_outbox.hpp"

namespace sarang::commands {
namespace {

void prepare_statements(pg::Connection& db) {
    db.prepare("device", "SELECT kind, topic_prefix FROM devices WHERE id = $1");
    db.prepare("sent", "SELECT id, subtopic, correlation FROM commands"
                       " WHERE device_id = $1 AND state = 'sent' AND subtopic = ANY($2::text[])"
                       " ORDER BY seq");
    db.prepare("settle", "UPDATE commands SET state = $2, acked_at = now(), finished_at = now(),"
                         "   result = $3::jsonb, error = $4"
                         " WHERE id = $1::uuid AND state = 'sent'");
    prepare_rejections(db);
}

// What the device sent, as jsonb text: itself when it is JSON, else a JSON string of it (bytes
// that are not UTF-8 become U+FFFD: jansson and jsonb refuse them).
std::string result_text(const Answer& answer, const json_t* parsed) {
    if (parsed != nullptr)
        return answer.payload;
    return json::dump(json::string(answer.payload).get());
}

void settle(CommandsPlugin& plugin, pg::Connection& db, const Answer& answer) {
    pg::Result device = db.exec_prepared("device", {answer.device_id});
    if (device.rows() != 1)
        return;
    const KindSpec* kind = find_kind(device.text(0, 0));
    std::string prefix = std::string(device.text(0, 1)) + "/";
    if (kind == nullptr || !answer.topic.starts_with(prefix))
        return;
    std::string ack_subtopic = answer.topic.substr(prefix.size());
    if (!kind->is_ack_topic(ack_subtopic))
        return;
    std::vector<std::string> answered;
    for (const CommandTopic& topic : kind->commands) {
        if (topic.ack_subtopic == ack_subtopic)
            answered.emplace_back(topic.subtopic);
    }
    pg::Result rows = db.exec_prepared("sent", {answer.device_id, pg::array_literal(answered)});
    std::vector<SentCommand> sent;
    for (int row = 0; row < rows.rows(); ++row) {
        sent.push_back(
            {std::string(rows.text(row, 0)), std::string(rows.text(row, 1)),
             rows.is_null(row, 2) ? std::nullopt : std::optional(std::string(rows.text(row, 2)))});
    }
    std::string parse_error;
    json::Ptr parsed = json::parse(answer.payload, parse_error);
    std::optional<std::size_t> match = match_answer(*kind, ack_subtopic, parsed.get(), sent);
    if (!match) {
        // Stray and malformed answers are counted and logged sampled (one line per device and
        // reason per minute), so a misbehaving device cannot flood the log.
        std::uint64_t count = ++plugin.counters.unmatched;
        if (counts_refusals(*kind, ack_subtopic))
            plugin.refusals.add(answer.device_id, parsed ? "unmatched_answer" : "not_json",
                                parsed
                                    ? "answer on " + answer.topic + " settles no sent command"
                                    : "answer on " + answer.topic + " is not JSON: " + parse_error,
                                answer.payload);
        if (plugin.refusal_log.due(answer.device_id, parsed ? "unmatched_answer" : "not_json"))
            LOG_WARN("commands", "answer from %s on '%s' settles no sent command%s (%llu so far)",
                     answer.device_id.c_str(), answer.topic.c_str(), parsed ? "" : " (not JSON)",
                     static_cast<unsigned long long>(count));
        return;
    }
    Verdict verdict = judge_answer(parsed.get());
    const std::string& id = sent[*match].id;
    pg::Params params = {id, std::string(state_name(verdict.state)),
                         result_text(answer, parsed.get()), verdict.error};
    long long changed = 0;
    try {
        changed = db.exec_prepared("settle", params).affected();
    } catch (const pg::Error& error) {
        if (error.kind() != pg::ErrorKind::reject)
            throw;
        // JSON that jsonb refuses (a \u0000 escape): the verdict still stands.
        params[2] = std::nullopt;
        changed = db.exec_prepared("settle", params).affected();
    }
    if (changed == 1) {
        ++plugin.counters.settled;
        LOG_INFO("commands", "command %s of %s %s", id.c_str(), answer.device_id.c_str(),
                 std::string(state_name(verdict.state)).c_str());
    }
}

} // namespace

void run_answer_writer(CommandsPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "commands";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-command-answers";
    options.prepare = prepare_statements;
    DbLoop loop(std::move(options));
    std::vector<Answer> batch;
    std::size_t next = 0;
    while (!stop.stop_requested()) {
        if (next == batch.size()) {
            batch = plugin.answers.pop_batch(256, stop, std::chrono::milliseconds(500));
            next = 0;
        }
        loop.round(stop, [&](pg::Connection& db) {
            loop.each(
                batch, next, [&](const Answer& answer) { settle(plugin, db, answer); },
                [](const Answer& answer) {
                    return "answer from " + answer.device_id + " on '" + answer.topic + "'";
                });
        });
        // Refusals (ours and the broker thread's) in a round of their own, after the answers
        // that produced them; kept in memory while PostgreSQL is down.
        if (loop.database_up())
            flush_rejections(plugin.refusals, loop, stop);
    }
}

} // namespace sarang::commands
