#pragma once
// The store floors' records in PostgreSQL (the port of store/floors.hpp).
//
// A unit of work is one transaction that first locks the store's row in store_floors: units on
// one floor are serialized by PostgreSQL, across every process, for as long as the transaction
// lasts (never by a session-level lock, so it works behind pgbouncer in transaction mode). The
// row carries the floor's version and clock. Every event is recorded by a statement that
// changes exactly the rows it means to and only from the state it expects (a task assigned
// only while open, a bag loaded only once finished, a shift ended only while open, ...); any
// other count throws store::StaleFloor and the whole transaction rolls back. The version then
// moves on with a compare-and-set on the one it started from.
//
// A unit runs inside the session's open transaction when there is one (storage/sql.hpp), so
// repositories called by a decision join it (a payment, a cancellation, a layout's rows), and
// a caller may wrap more work around it (a claimed job's token check); a stale record then
// fails that caller's whole transaction (409 conflict) instead of running the unit again.
#include <string>

#include "freshlane/storage/pool.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::storage {

class PgFloorRecords : public store::FloorRecords {
 public:
  // Who decides: a request (a picker's scan, a payment) only ever brings the floor job's next
  // visit earlier; the floor job itself, which just visited, sets it to the next change.
  enum class Decider { kRequest, kFloorJob };
  explicit PgFloorRecords(Session& session, Decider decider = Decider::kRequest)
      : session_(session), decider_(decider) {}

  // Throws core::Error(kNotFound) for a store without a floor (no such store).
  void run(const std::string& store_id, const std::function<void(Unit&)>& work) override;
  store::FloorStamp peek(const std::string& store_id) override;
  store::StoredFloor read(const std::string& store_id) override;

 private:
  Session& session_;
  Decider decider_;
};

}  // namespace freshlane::storage
