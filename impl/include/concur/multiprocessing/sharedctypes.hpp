// concur/multiprocessing/sharedctypes.hpp — Value, Array, RawValue, RawArray:
// C values and arrays in shared memory (seed 004 §1.6 "进程间状态共享";
// CPython Lib/multiprocessing/sharedctypes.py).
//
// Guarantees
//  * The typecodes are CPython's typecode_to_type table (seed 004 §1.6):
//      c char, u wchar_t, b signed char, B unsigned char, h short,
//      H unsigned short, i int, I unsigned int, l long, L unsigned long,
//      q long long, Q unsigned long long, f float, d double.
//    The C++ element type is the template argument: `Value<int> v("i", 0)`
//    checks that the typecode names T and throws TypeError otherwise;
//    `Value<int> v(0)` needs no typecode. An unknown typecode throws
//    TypeError("this type has no size") as ctypes.sizeof does. Any trivially
//    copyable T (a C struct, CPython's typecode_or_type being a ctypes type)
//    works without a typecode.
//  * Memory is zero-initialised (RawArray(size)) or copied from the
//    initializer, and lives in a detail::SharedBlock: copies of a handle, and
//    the same handle inherited by a child, see the same bytes.
//  * Value(..., lock=true) / Array(..., lock=true) are CPython's Synchronized
//    wrappers: a new RLock guards every value()/set_value()/[]/slice access;
//    lock=Lock()/RLock() uses that lock instead. `v.set_value(v.value() + 1)`
//    is still two separate critical sections — lost updates happen unless
//    the caller holds get_lock() around both (seed 004's example).
//  * lock=false gives the raw object behind the same interface: get_lock(),
//    acquire() and release() then throw AttributeError("'c_int' object has no
//    attribute 'get_lock'") ('acquire', 'release'), as the raw ctypes object
//    does in CPython. (A
//    runtime error rather than a distinct type, so `lock` stays a run-time
//    argument as in Python; RawValue/RawArray are the compile-time raw types.)
//  * Array indexing accepts Python's negative indices; out of range throws
//    IndexError("invalid index"). slice(start, stop) clamps like Python's
//    a[start:stop]. set_slice with a different length throws
//    ValueError("Can only assign sequence of same size").
//
// Crossing a process boundary: only by inheritance, as CPython's
// reduce_ctype/assert_spawning: under fork by memory copy, under
// spawn/forkserver as a Process argument. Other serialization throws
// RuntimeError("Synchronized objects should only be shared between processes
// through inheritance") (SynchronizedArray, c_int, c_int_Array_10, ...).
//
// Thread/process-safety: handles may be used from any thread or process;
// synchronized accesses take the lock; raw accesses are unsynchronized plain
// memory accesses (the caller must hold a lock, as in C). Fork-safety: safe.
// Blocking: synchronized accesses block on the lock. Lifetime: the memory
// lives while any process holds a handle; no cleanup, no /dev/shm entry.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "concur/detail/inheritance.hpp"
#include "concur/detail/shared_block.hpp"
#include "concur/detail/type_name.hpp"
#include "concur/errors.hpp"
#include "concur/multiprocessing/synchronize.hpp"

namespace concur::multiprocessing {

namespace sharedctypes_detail {

// ctypes' class name for the C type of T ("c_int"); "Structure" otherwise.
template <class T>
constexpr const char* ctype_name() {
  if constexpr (std::is_same_v<T, char>) return "c_char";
  else if constexpr (std::is_same_v<T, wchar_t>) return "c_wchar";
  else if constexpr (std::is_same_v<T, signed char>) return "c_byte";
  else if constexpr (std::is_same_v<T, unsigned char>) return "c_ubyte";
  else if constexpr (std::is_same_v<T, short>) return "c_short";
  else if constexpr (std::is_same_v<T, unsigned short>) return "c_ushort";
  else if constexpr (std::is_same_v<T, int>) return "c_int";
  else if constexpr (std::is_same_v<T, unsigned>) return "c_uint";
  else if constexpr (std::is_same_v<T, long>) return "c_long";
  else if constexpr (std::is_same_v<T, unsigned long>) return "c_ulong";
  // ctypes makes c_longlong an alias of c_long where both have 8 bytes.
  else if constexpr (std::is_same_v<T, long long>) return sizeof(long) == sizeof(long long) ? "c_long" : "c_longlong";
  else if constexpr (std::is_same_v<T, unsigned long long>)
    return sizeof(long) == sizeof(long long) ? "c_ulong" : "c_ulonglong";
  else if constexpr (std::is_same_v<T, float>) return "c_float";
  else if constexpr (std::is_same_v<T, double>) return "c_double";
  else return "Structure";
}

// The typecode of T, or '\0' when T has none.
template <class T>
constexpr char typecode_of() {
  if constexpr (std::is_same_v<T, char>) return 'c';
  else if constexpr (std::is_same_v<T, wchar_t>) return 'u';
  else if constexpr (std::is_same_v<T, signed char>) return 'b';
  else if constexpr (std::is_same_v<T, unsigned char>) return 'B';
  else if constexpr (std::is_same_v<T, short>) return 'h';
  else if constexpr (std::is_same_v<T, unsigned short>) return 'H';
  else if constexpr (std::is_same_v<T, int>) return 'i';
  else if constexpr (std::is_same_v<T, unsigned>) return 'I';
  else if constexpr (std::is_same_v<T, long>) return 'l';
  else if constexpr (std::is_same_v<T, unsigned long>) return 'L';
  else if constexpr (std::is_same_v<T, long long>) return 'q';
  else if constexpr (std::is_same_v<T, unsigned long long>) return 'Q';
  else if constexpr (std::is_same_v<T, float>) return 'f';
  else if constexpr (std::is_same_v<T, double>) return 'd';
  else return '\0';
}

// ctypes' class name of a typecode, or nullptr for an unknown typecode.
const char* ctype_name_of_typecode(std::string_view typecode) noexcept;

// Throws TypeError unless `typecode` names the C type `expected_name`.
void check_typecode(std::string_view typecode, char expected, const char* expected_name);

template <class T>
void check_typecode_for(std::string_view typecode) {
  check_typecode(typecode, typecode_of<T>(), ctype_name<T>());
}

// AttributeError("'c_int' object has no attribute 'get_lock'"), naming the
// attribute used (get_lock, acquire or release).
[[noreturn]] void throw_no_lock(const std::string& raw_name, const char* attribute = "get_lock");
// ctypes' repr of a c_wchar value: c_wchar('x').
std::string wchar_repr(wchar_t c);
[[noreturn]] void throw_invalid_index();
[[noreturn]] void throw_wrong_slice_size();

// The value as ctypes' repr shows it: c_char(b'x'), c_wchar('x'), c_byte(-5).
template <class T>
std::string format_item(const T& v) {
  if constexpr (std::is_same_v<T, char>) {
    return subprocess::python_bytes_repr(std::string_view(&v, 1));
  } else if constexpr (std::is_same_v<T, wchar_t>) {
    return wchar_repr(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return subprocess::python_float_repr(static_cast<double>(v));  // c_double(0.0)
  } else if constexpr (std::is_arithmetic_v<T>) {
    std::ostringstream out;
    if constexpr (std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char>)
      out << static_cast<long long>(v);
    else
      out << v;
    return out.str();
  } else {
    return "...";
  }
}

// Python's slice clamping for a[start:stop] (step 1).
inline std::pair<std::size_t, std::size_t> clamp_slice(std::ptrdiff_t start, std::ptrdiff_t stop, std::size_t n) {
  auto len = static_cast<std::ptrdiff_t>(n);
  auto fix = [len](std::ptrdiff_t i) {
    if (i < 0) i += len;
    return std::clamp<std::ptrdiff_t>(i, 0, len);
  };
  std::ptrdiff_t a = fix(start), b = fix(stop);
  if (b < a) b = a;
  return {static_cast<std::size_t>(a), static_cast<std::size_t>(b)};
}

}  // namespace sharedctypes_detail

// sharedctypes.RawValue: a T in shared memory, no lock.
template <class T>
class RawValue {
  static_assert(std::is_trivially_copyable_v<T>, "RawValue<T> needs a trivially copyable T");

 public:
  explicit RawValue(T init = T{}) : block_(sizeof(T), "concur-value") { new (block_.data()) T(init); }
  explicit RawValue(std::string_view typecode, T init = T{}) : RawValue(checked(typecode, init)) {}

  T value() const { return *ptr(); }
  void set_value(T v) { *ptr() = v; }
  // The shared object itself (unsynchronized).
  T* ptr() const { return block_.template as<T>(); }
  // "c_int(5)"
  std::string repr() const {
    return std::string(sharedctypes_detail::ctype_name<T>()) + "(" + sharedctypes_detail::format_item(value()) + ")";
  }

  template <class A>
  void save(A& ar) const {
    concur::detail::assert_spawning(sharedctypes_detail::ctype_name<T>());
    ar(block_);
  }
  template <class A>
  void load(A& ar) {
    ar(block_);
  }

 private:
  static T checked(std::string_view typecode, T init) {
    sharedctypes_detail::check_typecode_for<T>(typecode);
    return init;
  }
  concur::detail::SharedBlock block_;
};

// sharedctypes.RawArray: n T's in shared memory, no lock.
template <class T>
class RawArray {
  static_assert(std::is_trivially_copyable_v<T>, "RawArray<T> needs a trivially copyable T");

 public:
  explicit RawArray(std::size_t size = 0) : n_(size), block_(std::max<std::size_t>(1, size * sizeof(T)), "concur-array") {}
  RawArray(const std::vector<T>& init) : RawArray(init.size()) {
    if (!init.empty()) std::memcpy(static_cast<void*>(data()), init.data(), init.size() * sizeof(T));
  }
  RawArray(std::initializer_list<T> init) : RawArray(std::vector<T>(init)) {}
  RawArray(std::string_view typecode, std::size_t size) : RawArray(checked_size(typecode, size)) {}
  RawArray(std::string_view typecode, const std::vector<T>& init) : RawArray(checked_init(typecode, init)) {}
  RawArray(std::string_view typecode, std::initializer_list<T> init) : RawArray(typecode, std::vector<T>(init)) {}

  std::size_t size() const noexcept { return n_; }
  std::size_t len() const noexcept { return n_; }
  T* data() const noexcept { return block_.template as<T>(); }

  // Python indexing: negative counts from the end; else IndexError("invalid index").
  T& operator[](std::ptrdiff_t i) const { return data()[index(i)]; }
  // a[start:stop]
  std::vector<T> slice(std::ptrdiff_t start, std::ptrdiff_t stop) const {
    auto [a, b] = sharedctypes_detail::clamp_slice(start, stop, n_);
    return std::vector<T>(data() + a, data() + b);
  }
  // a[:]
  std::vector<T> to_vector() const { return std::vector<T>(data(), data() + n_); }
  // a[start:stop] = values; ValueError("Can only assign sequence of same size").
  void set_slice(std::ptrdiff_t start, std::ptrdiff_t stop, const std::vector<T>& values) {
    auto [a, b] = sharedctypes_detail::clamp_slice(start, stop, n_);
    if (values.size() != b - a) sharedctypes_detail::throw_wrong_slice_size();
    if (!values.empty()) std::memcpy(static_cast<void*>(data() + a), values.data(), values.size() * sizeof(T));
  }
  std::size_t index(std::ptrdiff_t i) const {
    auto n = static_cast<std::ptrdiff_t>(n_);
    if (i < 0) i += n;
    if (i < 0 || i >= n) sharedctypes_detail::throw_invalid_index();
    return static_cast<std::size_t>(i);
  }
  // ctypes' class name, e.g. "c_int_Array_10".
  std::string type_name() const { return std::string(sharedctypes_detail::ctype_name<T>()) + "_Array_" + std::to_string(n_); }

  template <class A>
  void save(A& ar) const {
    concur::detail::assert_spawning(type_name());
    std::uint64_t n = n_;
    ar(n, block_);
  }
  template <class A>
  void load(A& ar) {
    std::uint64_t n = 0;
    ar(n, block_);
    if (block_.size() < std::max<std::size_t>(1, n * sizeof(T))) throw UnpicklingError("RawArray: shared block too small");
    n_ = static_cast<std::size_t>(n);
  }

 private:
  static std::size_t checked_size(std::string_view typecode, std::size_t size) {
    sharedctypes_detail::check_typecode_for<T>(typecode);
    return size;
  }
  static const std::vector<T>& checked_init(std::string_view typecode, const std::vector<T>& init) {
    sharedctypes_detail::check_typecode_for<T>(typecode);
    return init;
  }
  std::size_t n_ = 0;
  concur::detail::SharedBlock block_;
};

namespace sharedctypes_detail {

// The lock part of CPython's SynchronizedBase: an optional Lock or RLock.
class LockHolder {
 public:
  LockHolder() = default;
  explicit LockHolder(bool lock) {
    if (lock) lock_.emplace(RLock());
  }
  explicit LockHolder(Lock lock) { lock_.emplace(std::move(lock)); }
  explicit LockHolder(RLock lock) { lock_.emplace(std::move(lock)); }

  bool has_lock() const noexcept { return lock_.has_value(); }
  SemLock& get(const std::string& raw_name, const char* attribute = "get_lock") {
    if (!lock_) throw_no_lock(raw_name, attribute);
    return *lock_;
  }

  template <class A>
  void save(A& ar) const {
    bool has = lock_.has_value();
    ar(has);
    if (has) ar(*lock_);
  }
  template <class A>
  void load(A& ar) {
    bool has = false;
    ar(has);
    if (has) {
      RLock handle;  // any SemLock handle: the kind lives in the shared state
      ar(static_cast<SemLock&>(handle));
      lock_.emplace(std::move(handle));
    } else {
      lock_.reset();
    }
  }

 private:
  std::optional<SemLock> lock_;
};

// Holds the lock (if any) for one access.
class MaybeLocked {
 public:
  explicit MaybeLocked(LockHolder& h) : h_(h) {
    if (h_.has_lock()) h_.get("").acquire();
  }
  ~MaybeLocked() {
    if (h_.has_lock()) h_.get("").release();
  }
  MaybeLocked(const MaybeLocked&) = delete;
  MaybeLocked& operator=(const MaybeLocked&) = delete;

 private:
  LockHolder& h_;
};

}  // namespace sharedctypes_detail

// sharedctypes.Value(typecode_or_type, init, lock=True): CPython's
// Synchronized wrapper (or, with lock=false, the raw value).
template <class T>
class Value {
 public:
  explicit Value(T init = T{}, bool lock = true) : obj_(init), lock_(lock) {}
  Value(T init, Lock lock) : obj_(init), lock_(std::move(lock)) {}
  Value(T init, RLock lock) : obj_(init), lock_(std::move(lock)) {}
  explicit Value(std::string_view typecode, T init = T{}, bool lock = true) : obj_(typecode, init), lock_(lock) {}
  Value(std::string_view typecode, T init, Lock lock) : obj_(typecode, init), lock_(std::move(lock)) {}
  Value(std::string_view typecode, T init, RLock lock) : obj_(typecode, init), lock_(std::move(lock)) {}

  // v.value (takes the lock for the read).
  T value() {
    sharedctypes_detail::MaybeLocked g(lock_);
    return obj_.value();
  }
  // v.value = x (takes the lock for the write).
  void set_value(T v) {
    sharedctypes_detail::MaybeLocked g(lock_);
    obj_.set_value(v);
  }

  // The lock; AttributeError when created with lock=false.
  SemLock& get_lock() { return lock_.get(sharedctypes_detail::ctype_name<T>()); }
  // The raw shared value.
  RawValue<T>& get_obj() noexcept { return obj_; }
  bool acquire(bool block = true, Timeout timeout = {}) {
    return lock_.get(sharedctypes_detail::ctype_name<T>(), "acquire").acquire(block, timeout);
  }
  void release() { lock_.get(sharedctypes_detail::ctype_name<T>(), "release").release(); }
  void lock() { get_lock().lock(); }
  void unlock() { get_lock().unlock(); }
  bool try_lock() { return get_lock().try_lock(); }

  // "<Synchronized wrapper for c_int(5)>", or "c_int(5)" without a lock.
  std::string repr() {
    if (!lock_.has_lock()) return obj_.repr();
    return "<Synchronized wrapper for " + obj_.repr() + ">";
  }

  template <class A>
  void save(A& ar) const {
    concur::detail::assert_spawning(lock_.has_lock() ? "Synchronized" : sharedctypes_detail::ctype_name<T>());
    ar(obj_, lock_);
  }
  template <class A>
  void load(A& ar) {
    ar(obj_, lock_);
  }

 private:
  RawValue<T> obj_;
  sharedctypes_detail::LockHolder lock_;
};

// sharedctypes.Array(typecode_or_type, size_or_initializer, lock=True):
// CPython's SynchronizedArray (or, with lock=false, the raw array).
template <class T>
class Array {
 public:
  // a[i] of a synchronized array: every read and write takes the lock.
  class Item {
   public:
    operator T() const {
      sharedctypes_detail::MaybeLocked g(a_.lock_);
      return a_.obj_[i_];
    }
    Item& operator=(T v) {
      sharedctypes_detail::MaybeLocked g(a_.lock_);
      a_.obj_[i_] = v;
      return *this;
    }
    Item& operator=(const Item& o) { return *this = static_cast<T>(o); }
    Item(const Item&) = default;

   private:
    friend class Array;
    Item(Array& a, std::ptrdiff_t i) : a_(a), i_(i) {}
    Array& a_;
    std::ptrdiff_t i_;
  };

  Array() : Array(std::size_t{0}) {}
  explicit Array(std::size_t size, bool lock = true) : obj_(size), lock_(lock) {}
  explicit Array(const std::vector<T>& init, bool lock = true) : obj_(init), lock_(lock) {}
  Array(std::initializer_list<T> init, bool lock = true) : obj_(init), lock_(lock) {}
  Array(std::string_view typecode, std::size_t size, bool lock = true) : obj_(typecode, size), lock_(lock) {}
  Array(std::string_view typecode, const std::vector<T>& init, bool lock = true) : obj_(typecode, init), lock_(lock) {}
  Array(std::string_view typecode, std::initializer_list<T> init, bool lock = true)
      : obj_(typecode, init), lock_(lock) {}
  Array(std::string_view typecode, std::size_t size, Lock lock) : obj_(typecode, size), lock_(std::move(lock)) {}
  Array(std::string_view typecode, std::size_t size, RLock lock) : obj_(typecode, size), lock_(std::move(lock)) {}
  Array(std::string_view typecode, const std::vector<T>& init, Lock lock)
      : obj_(typecode, init), lock_(std::move(lock)) {}
  Array(std::string_view typecode, const std::vector<T>& init, RLock lock)
      : obj_(typecode, init), lock_(std::move(lock)) {}

  std::size_t size() const noexcept { return obj_.size(); }
  std::size_t len() const noexcept { return obj_.size(); }

  // a[i]: IndexError("invalid index") when out of range (checked at once).
  Item operator[](std::ptrdiff_t i) {
    (void)obj_.index(i);
    return Item(*this, i);
  }
  T get(std::ptrdiff_t i) { return static_cast<T>((*this)[i]); }
  void set(std::ptrdiff_t i, T v) { (*this)[i] = v; }
  // a[start:stop] under the lock.
  std::vector<T> slice(std::ptrdiff_t start, std::ptrdiff_t stop) {
    sharedctypes_detail::MaybeLocked g(lock_);
    return obj_.slice(start, stop);
  }
  // a[:] under the lock.
  std::vector<T> to_vector() {
    sharedctypes_detail::MaybeLocked g(lock_);
    return obj_.to_vector();
  }
  void set_slice(std::ptrdiff_t start, std::ptrdiff_t stop, const std::vector<T>& values) {
    sharedctypes_detail::MaybeLocked g(lock_);
    obj_.set_slice(start, stop, values);
  }

  SemLock& get_lock() { return lock_.get(obj_.type_name()); }
  RawArray<T>& get_obj() noexcept { return obj_; }
  bool acquire(bool block = true, Timeout timeout = {}) {
    return lock_.get(obj_.type_name(), "acquire").acquire(block, timeout);
  }
  void release() { lock_.get(obj_.type_name(), "release").release(); }
  void lock() { get_lock().lock(); }
  void unlock() { get_lock().unlock(); }
  bool try_lock() { return get_lock().try_lock(); }

  // "<SynchronizedArray wrapper for <multiprocessing.sharedctypes.c_int_Array_3
  // object at 0x7f...>>"; without a lock the inner part only.
  std::string repr() const {
    std::string raw = "<multiprocessing.sharedctypes." + obj_.type_name() + " object at " +
                      concur::detail::address_text(obj_.data()) + ">";
    return lock_.has_lock() ? "<SynchronizedArray wrapper for " + raw + ">" : raw;
  }

  template <class A>
  void save(A& ar) const {
    if (lock_.has_lock()) concur::detail::assert_spawning("SynchronizedArray");
    ar(obj_, lock_);
  }
  template <class A>
  void load(A& ar) {
    ar(obj_, lock_);
  }

 private:
  RawArray<T> obj_;
  sharedctypes_detail::LockHolder lock_;
};

}  // namespace concur::multiprocessing
