#pragma once
// Delivers the notification outbox (sql/0005): a thread in the sidecar that claims due
// deliveries (FOR UPDATE SKIP LOCKED, so several sidecars can share the work), sends each by
// WhatsApp (GOWA) or webhook, and records the outcome: sent; retried with exponential backoff
// after a 5xx, 408, 429, timeout or connection error; failed after a 4xx or the last attempt;
// skipped when the owner blocked notifications or WhatsApp is not set up.
//
// Never twice: a delivery is marked 'sending' (committed) before the request goes out. If the
// sidecar dies mid-request, the claim expires and a WhatsApp delivery becomes 'failed'
// ("interrupted") instead of being sent again, because GOWA cannot tell whether the first one
// went out; a webhook delivery is retried with the same X-Sarang-Delivery id, which receivers
// use to drop the duplicate.
#include "notify/gowa_client.hpp"
#include "sarang/worker.hpp"

#include <chrono>
#include <string>

namespace sarang::http {

struct NotifySettings {
    GowaSettings gowa;
    std::string public_url; // for signed image links; empty: images go as text
    std::string pepper;
    int max_attempts = 6;
    std::chrono::milliseconds retry_base{2000};
    std::chrono::seconds image_url_ttl{86400};
    bool allow_private_webhooks = false; // tests and closed networks only
    // An owned device offline this long raises one device_offline notification per outage;
    // zero turns it off.
    std::chrono::seconds offline_after{600};
};

class NotificationWorker {
  public:
    NotificationWorker(std::string dsn, NotifySettings settings);

  private:
    void run(std::stop_token stop);
    std::string dsn_;
    NotifySettings settings_;
    Worker worker_; // last: starts after the fields it reads
};

// The claim outlives any request: a request's timeout must stay below it.
inline constexpr std::chrono::seconds delivery_claim{60};

} // namespace sarang::http
