// Seed 001 "条件对象": five producers and one consumer share a Queue(5)
// under one threading::Condition. A producer that finds the queue full waits
// on the condition; the consumer waits when it is empty; each notifies the
// other after changing the queue. (The seed's producer skips item i when it
// has to wait and its consumer never ends; here the producer retries the
// item and the consumer stops after 100 items, so every item 0..99 is
// consumed exactly once — the conformance test asserts it.)
//
//   ./build/release/examples/producer_consumer      # "producer1 produced 0" ... "consumed 100 items"
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"

namespace th = concur::threading;

class Producer : public th::Thread {
 public:
  Producer(std::string name, th::Condition& condition, concur::queue::Queue<int>& queue, int start, int end)
      : th::Thread({.name = name}), condition_(condition), queue_(queue), start_(start), end_(end) {}
  ~Producer() override { join(); }  // run() uses the members: join first

  void run() override {
    for (int i = start_; i < end_; ++i) {
      std::lock_guard<th::Condition> with(condition_);  // with self.condition:
      while (queue_.full()) {
        std::printf("%s wait\n", name().c_str());
        condition_.wait();
      }
      std::printf("%s produced %d\n", name().c_str(), i);
      queue_.put(i);
      condition_.notify();
    }
  }

 private:
  th::Condition& condition_;
  concur::queue::Queue<int>& queue_;
  int start_;
  int end_;
};

int main() {
  concur::queue::Queue<int> queue(5);
  th::Condition condition;  // a new RLock inside, as Python's Condition()
  std::vector<std::unique_ptr<Producer>> producers;
  for (int p = 0; p < 5; ++p) {
    producers.push_back(std::make_unique<Producer>("producer" + std::to_string(p + 1), condition, queue,
                                                   p * 20, p * 20 + 20));
  }
  int consumed = 0;
  th::Thread consumer({.name = "consumer"}, [&] {
    while (consumed < 100) {
      std::lock_guard<th::Condition> with(condition);
      if (queue.empty()) {
        condition.wait();
      } else {
        std::printf("consumer consume %d\n", queue.get());
        ++consumed;
        condition.notify();
      }
    }
  });
  for (auto& p : producers) p->start();
  consumer.start();
  for (auto& p : producers) p->join();
  consumer.join();
  std::printf("consumed %d items\n", consumed);
}
