// threading.local (concur/threading/local.hpp).
//
// Each local<T> owns a map from a per-thread key to that thread's value. Each
// thread keeps, in a thread_local, weak references to the locals it has
// values in; when the thread ends it removes its values from the locals still
// alive (CPython _threading_local's two-way weakref design).
#include "concur/threading/local.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "concur/threading/lock.hpp"

namespace concur::threading::detail {

struct LocalBase::Impl {
  Lock mu;  // concur's own lock (detail/sync_core.hpp), as everywhere in threading
  std::unordered_map<std::uint64_t, std::shared_ptr<void>> values;
  Factory factory;
};

namespace {

std::atomic<std::uint64_t> g_next_key{1};

struct ThreadLocals {
  std::uint64_t key = g_next_key.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::weak_ptr<LocalBase::Impl>> locals;

  ~ThreadLocals() {
    for (auto& weak : locals) {
      if (auto impl = weak.lock()) {
        std::shared_ptr<void> value;  // destroyed outside the lock
        std::lock_guard lock(impl->mu);
        auto it = impl->values.find(key);
        if (it != impl->values.end()) {
          value = std::move(it->second);
          impl->values.erase(it);
        }
      }
    }
  }
};

thread_local ThreadLocals t_locals;

}  // namespace

LocalBase::LocalBase(Factory factory) : impl_(std::make_shared<Impl>()) { impl_->factory = std::move(factory); }

LocalBase::~LocalBase() {
  std::unordered_map<std::uint64_t, std::shared_ptr<void>> values;
  {
    std::lock_guard lock(impl_->mu);
    values.swap(impl_->values);
  }
}

void* LocalBase::get() {
  auto& mine = t_locals;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->values.find(mine.key);
    if (it != impl_->values.end()) return it->second.get();
  }
  std::shared_ptr<void> value = impl_->factory();
  void* raw = value.get();
  {
    std::lock_guard lock(impl_->mu);
    auto [it, inserted] = impl_->values.emplace(mine.key, std::move(value));
    if (!inserted) return it->second.get();  // T's constructor used this local in this thread
  }
  std::erase_if(mine.locals, [](const std::weak_ptr<Impl>& w) { return w.expired(); });
  mine.locals.push_back(impl_);
  return raw;
}

}  // namespace concur::threading::detail
