// The registrar worker: one request at a time from the queue, through
// provisioning::register_device (PostgreSQL and argon2id, never on the broker thread), and the
// answer back to TICK through the mailbox.
//
// Answers (JSON on sarang/provision/<client id>/response):
//   {"status":"registered"|"reissued","device_id","username","client_id","password",
//    "kind","topic_prefix"}
//   {"status":"error","code","error"[,"field"][,"remaining_attempts"][,"retry_after_s"]}
#include "claim_request.hpp"
#include "provision_plugin.hpp"
#include "sarang/access_sync.hpp"
#include "sarang/db_loop.hpp"
#include "sarang/json.hpp"
#include "sarang/pg.hpp"

namespace sarang::provision {
namespace {

std::string answer_for(const provisioning::Outcome& outcome) {
    json::Ptr body = json::own(json_object());
    auto put = [&](const char* key, const std::string& value) {
        json::set(body.get(), key, json::string(value));
    };
    if (outcome.issued()) {
        put("status",
            outcome.status == provisioning::Status::registered ? "registered" : "reissued");
        put("device_id", outcome.device_id);
        put("username", outcome.device_id);
        put("client_id", outcome.device_id);
        put("password", outcome.credential);
        put("kind", outcome.kind);
        put("topic_prefix", outcome.topic_prefix);
        return json::dump(body.get());
    }
    put("status", "error");
    put("code", outcome.code);
    put("error", outcome.message);
    if (!outcome.field.empty())
        put("field", outcome.field);
    if (outcome.status == provisioning::Status::invalid_pin)
        json::set(body.get(), "remaining_attempts",
                  json::own(json_integer(outcome.remaining_attempts)));
    if (outcome.status == provisioning::Status::locked_out)
        json::set(body.get(), "retry_after_s",
                  json::own(json_integer(outcome.retry_after.count())));
    return json::dump(body.get());
}

std::string handle(ProvisionPlugin& plugin, pg::Connection& db, const Job& job) {
    ClaimProblem problem;
    std::optional<ClaimRequest> claim = parse_claim_request(job.payload, problem);
    if (!claim) {
        plugin.refusals.add(job.client_id, problem.code, problem.message, {});
        return error_answer(problem.code, problem.message);
    }
    provisioning::Request request;
    request.device_id = std::move(claim->device_id);
    request.pin = std::move(claim->pin);
    request.kind = std::move(claim->kind);
    request.via = "mqtt";
    request.client_address = job.address;
    request.client_id = job.client_id;
    request.factory_secret_id = job.secret_id;
    provisioning::WithDb with_db = [&db](const std::function<void(pg::Connection&)>& body_fn) {
        body_fn(db);
    };
    provisioning::Outcome outcome =
        provisioning::register_device(with_db, plugin.settings.registration, request);
    // Read-your-writes (docs/identity-and-acl.md): the device connects with its credential the
    // moment it has the answer, so answer once every live broker node has it. Past the bound the
    // credential is sent anyway: it is stored and works as soon as the lagging node catches up.
    if (outcome.issued()) {
        access_sync::Outcome applied = access_sync::await_access_applied(db);
        if (!applied.applied)
            LOG_WARN("provision",
                     "%s registered, but broker node(s) %s did not apply it within %lld ms",
                     outcome.device_id.c_str(), access_sync::describe_lagging(applied).c_str(),
                     static_cast<long long>(access_sync::default_timeout.count()));
    } else
        plugin.refusals.add(request.device_id, outcome.code, outcome.message, {});
    return answer_for(outcome);
}

} // namespace

void run_registrar(ProvisionPlugin& plugin, std::stop_token stop) {
    DbLoopOptions options;
    options.component = "provision";
    options.dsn = plugin.settings.dsn;
    options.application_name = "sarang-provision";
    options.prepare = [](pg::Connection& db) { prepare_rejections(db); };
    DbLoop loop(std::move(options));
    const std::string unavailable =
        error_answer("unavailable", "registration is unavailable; retry later");
    std::vector<Job> jobs;
    std::size_t next = 0;
    while (!stop.stop_requested()) {
        if (next == jobs.size()) {
            jobs = plugin.requests.pop_batch(8, stop, std::chrono::seconds(1));
            next = 0;
        }
        // Every request is answered at once, "unavailable" when it could not be handled: the
        // device retries; nothing is retried here. DbLoop counts and logs what failed.
        loop.round(stop, [&](pg::Connection& db) {
            loop.each(
                jobs, next,
                [&](const Job& job) {
                    auto post = [&](std::string answer) {
                        plugin.mailbox.post([&plugin, connection = job.connection,
                                             serial = job.serial, answer = std::move(answer)] {
                            plugin.answer(connection, serial, answer);
                        });
                    };
                    std::string answer;
                    try {
                        answer = handle(plugin, db, job);
                    } catch (const pg::Error& failure) {
                        post(unavailable);
                        if (!is_outage(failure))
                            throw;
                        loop.outage_noticed(failure);
                        return;
                    } catch (...) {
                        post(unavailable);
                        throw;
                    }
                    post(std::move(answer));
                },
                [](const Job& job) { return "registration request of " + job.client_id; });
        });
        if (loop.database_up())
            flush_rejections(plugin.refusals, loop, stop);
    }
}

} // namespace sarang::provision
