// threading.Barrier (concur/threading/barrier.hpp).
#include "concur/threading/barrier.hpp"

#include "concur/errors.hpp"
#include "timeouts.hpp"

namespace concur::threading {

namespace cd = concur::detail;

namespace {
int checked_parties(int parties) {
  if (parties < 1) throw ValueError("parties must be >= 1");
  return parties;
}
}  // namespace

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout)
    : parties_(checked_parties(parties)), action_(std::move(action)), timeout_(timeout) {}

cd::BarrierAlgorithm<Condition> Barrier::algorithm() const { return cd::BarrierAlgorithm<Condition>(core_, cond_); }

int Barrier::wait(Timeout timeout) { return algorithm().wait(parties_, action_, timeout ? timeout : timeout_); }

void Barrier::reset() { algorithm().reset(); }

void Barrier::abort() { algorithm().abort(); }

int Barrier::n_waiting() const { return algorithm().n_waiting(); }

bool Barrier::broken() const { return algorithm().broken(); }

std::string Barrier::repr() const {
  const std::string head = "<threading.Barrier at " + detail::address_text(this);
  if (broken()) return head + ": broken>";
  return head + ": waiters=" + std::to_string(n_waiting()) + "/" + std::to_string(parties_) + ">";
}

}  // namespace concur::threading
