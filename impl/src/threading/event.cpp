// threading.Event (concur/threading/event.hpp).
#include "concur/threading/event.hpp"

#include "timeouts.hpp"

namespace concur::threading {

namespace cd = concur::detail;

void Event::set() { cd::event_set(core_, cd::FutexScope::process_private); }

bool Event::wait(Timeout timeout) {
  return cd::event_wait(core_, cd::FutexScope::process_private, cd::deadline_after(timeout),
                        cd::EventWake::signal);
}

std::string Event::repr() const {
  return "<threading.Event at " + detail::address_text(this) + (is_set() ? ": set>" : ": unset>");
}

}  // namespace concur::threading
