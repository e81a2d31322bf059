#include "freshlane/storage/job_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {

// $1 limit, $2 period in seconds. SKIP LOCKED: two processes claiming at once share the due
// jobs instead of waiting for each other.
#define FRESHLANE_CLAIM(job, has_work)                                               \
  "UPDATE store_jobs j SET due_at = clock_timestamp() + make_interval(secs => $2), " \
  "token = j.token + 1 "                                                             \
  "FROM (SELECT s.job, s.store_id FROM store_jobs s "                                \
  "      WHERE s.job = '" job "' AND s.due_at <= clock_timestamp() AND " has_work    \
  "      ORDER BY s.due_at LIMIT $1 FOR UPDATE SKIP LOCKED) d "                      \
  "WHERE j.job = d.job AND j.store_id = d.store_id RETURNING j.store_id, j.token"
const Query kClaimFloor{
    "job_claim_floor",
    FRESHLANE_CLAIM("floor",
                    "(EXISTS (SELECT 1 FROM pick_tasks t WHERE t.store_id = s.store_id "
                    "AND t.state NOT IN ('packed', 'cancelled')) "
                    "OR EXISTS (SELECT 1 FROM picker_shifts p WHERE p.store_id = "
                    "s.store_id AND p.clocked_out_at IS NULL))")};
const Query kClaimDispatch{
    "job_claim_dispatch",
    FRESHLANE_CLAIM("dispatch",
                    "(EXISTS (SELECT 1 FROM courier_shifts c WHERE c.store_id = "
                    "s.store_id AND c.clocked_out_at IS NULL) "
                    // promises to watch even with nobody to ride (the desk flags late orders)
                    "OR EXISTS (SELECT 1 FROM orders o WHERE o.store_id = s.store_id "
                    "AND o.fulfillment = 'delivery' AND o.status IN ('paid', 'picking', "
                    "'packed', 'out_for_delivery', 'returning')))")};
const Query kClaimExpiry{"job_claim_expiry", FRESHLANE_CLAIM("expiry", "true")};
const Query kClaimMarkdown{
    "job_claim_markdown",
    FRESHLANE_CLAIM("markdown",
                    "EXISTS (SELECT 1 FROM lots l WHERE l.store_id = s.store_id "
                    "AND l.quantity_on_hand > l.quantity_reserved)")};
#undef FRESHLANE_CLAIM

const Query kConfirm{"job_confirm", R"sql(
  UPDATE store_jobs SET runs = runs + 1, ran_at = clock_timestamp()
  WHERE job = $1 AND store_id = $2 AND token = $3)sql"};

}  // namespace

std::string_view to_string(Job job) {
  switch (job) {
    case Job::kFloor:
      return "floor";
    case Job::kDispatch:
      return "dispatch";
    case Job::kExpiry:
      return "expiry";
    case Job::kMarkdown:
      return "markdown";
  }
  return "floor";
}

std::vector<Claim> JobRepository::claim(Job job, std::chrono::milliseconds period, int limit) {
  const Query& q = job == Job::kFloor      ? kClaimFloor
                   : job == Job::kDispatch ? kClaimDispatch
                   : job == Job::kMarkdown ? kClaimMarkdown
                                           : kClaimExpiry;
  return single(session_, [&](Tx& tx) {
    std::vector<Claim> out;
    for (const auto& r : exec(session_, tx, q, limit, period.count() / 1000.0)) {
      out.push_back({job, r[0].as<std::string>(), r[1].as<std::int64_t>()});
    }
    return out;
  });
}

bool JobRepository::run(const Claim& claim, const std::function<void()>& work) {
  return write(session_, [&](Tx& tx) {
    if (exec(session_, tx, kConfirm, std::string(to_string(claim.job)), claim.store_id, claim.token)
            .affected_rows() != 1) {
      return false;
    }
    work();
    return true;
  });
}

}  // namespace freshlane::storage
