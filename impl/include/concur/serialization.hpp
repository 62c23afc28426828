// concur/serialization.hpp — how values cross a process boundary.
//
// This is concur's analogue of pickle, and the single serialization mechanism
// of the project: process arguments (spawn/forkserver) use it today, and
// Connection.send/recv and Queue reuse it. Do not add a second one.
//
// Contract
//  * `dumps(value)` returns the bytes of `value`; `loads<T>(bytes)` rebuilds
//    an equal T. Round trips are exact for every serializable type.
//  * Fast path (no archive, one memcpy): arithmetic types, enums and
//    "bitwise" structs — aggregates that are trivially copyable, standard
//    layout and have no cereal serialize()/save()/load() of their own. Bitwise
//    structs also work inside containers and tuples. std::string is stored as
//    its raw bytes; a top-level std::vector of such elements (not
//    vector<bool>) as a 64-bit length and the elements' bytes.
//  * Everything else goes through cereal's binary archive, so user
//    types opt in exactly as cereal documents: a `serialize(Archive&)`
//    member or free function (or save/load pairs). The standard containers,
//    tuple, pair, optional, variant, chrono durations and smart pointers are
//    supported because this header includes cereal's type support for them.
//  * `serializable<T>` tells at compile time whether T can cross. Pointers and
//    references never can: their meaning does not survive a process boundary.
//  * loads() throws concur::UnpicklingError when the bytes are truncated or
//    do not decode as T; it never reads past the buffer.
//  * Bytes are only meaningful to the same program build (same types on both
//    sides), which is what spawn and forkserver guarantee: the child is the
//    same executable.
//
// Thread-safety: all functions are reentrant; no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <cereal/archives/binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "concur/errors.hpp"

namespace concur::serialization {

namespace detail {

// Appends to a std::string; avoids ostringstream's extra copy in str().
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type ch) override {
    if (!traits_type::eq_int_type(ch, traits_type::eof())) out_.push_back(traits_type::to_char_type(ch));
    return ch;
  }

 private:
  std::string& out_;
};

// Reads from a byte range in place.
class ViewSource : public std::streambuf {
 public:
  explicit ViewSource(std::string_view in) {
    char* p = const_cast<char*>(in.data());  // read-only use: get area only
    setg(p, p, p + in.size());
  }
};

// A struct copied bit for bit: trivially copyable, standard layout, no
// pointers, and no cereal function of its own. Such types also work inside
// containers and tuples through the cereal overloads at the end of this file.
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

// (A user-written non-member save()/load() pair on such a struct would be
// ambiguous with the overloads below: give it serialize() instead.)
template <class T>
inline constexpr bool is_bitwise_class =
    std::is_class_v<T> && std::is_aggregate_v<T> && !is_std_array<T>::value &&
    std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> &&
    !cereal::traits::has_member_serialize<T, cereal::BinaryOutputArchive>::value &&
    !cereal::traits::has_member_versioned_serialize<T, cereal::BinaryOutputArchive>::value &&
    !cereal::traits::has_non_member_serialize<T, cereal::BinaryOutputArchive>::value &&
    !cereal::traits::has_member_save<T, cereal::BinaryOutputArchive>::value &&
    !cereal::traits::has_member_load<T, cereal::BinaryInputArchive>::value;

template <class T>
inline constexpr bool is_raw = std::is_arithmetic_v<T> || std::is_enum_v<T> || is_bitwise_class<T>;

// std::vector of raw elements (not vector<bool>): a length and one memcpy at
// the top level of dumps/loads (pool results of arithmetic type cross this
// way). Nested inside other values such vectors still go through cereal.
template <class T>
struct is_raw_vector : std::false_type {};
template <class T, class A>
struct is_raw_vector<std::vector<T, A>> : std::bool_constant<is_raw<T> && !std::is_same_v<T, bool>> {};

template <class T>
inline constexpr bool is_cereal =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value &&
    cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

}  // namespace detail

// True when T can cross a process boundary through dumps/loads.
template <class T>
concept serializable = !std::is_reference_v<T> && !std::is_pointer_v<T> &&
                       (std::is_same_v<T, std::string> || detail::is_raw<T> || detail::is_cereal<T>);

// Appends the bytes of `value` to `out`.
template <serializable T>
void dump_into(const T& value, std::string& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    out.append(value);
  } else if constexpr (detail::is_raw<T>) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
  } else if constexpr (detail::is_raw_vector<T>::value) {
    const std::uint64_t n = value.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(reinterpret_cast<const char*>(value.data()), n * sizeof(typename T::value_type));
  } else {
    detail::StringSink sink(out);
    std::ostream os(&sink);
    cereal::BinaryOutputArchive archive(os);
    archive(value);
  }
}

// Returns the bytes of `value`.
template <serializable T>
std::string dumps(const T& value) {
  std::string out;
  dump_into(value, out);
  return out;
}

// Overwrites `value` with the T encoded in `bytes` (produced by dumps<T>).
// For types that cannot be assigned, e.g. Process subclasses. Throws
// UnpicklingError.
template <serializable T>
void load_into(std::string_view bytes, T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    value.assign(bytes);
  } else if constexpr (detail::is_raw<T>) {
    if (bytes.size() != sizeof(T)) {
      throw UnpicklingError("loads: expected " + std::to_string(sizeof(T)) + " bytes, got " +
                            std::to_string(bytes.size()));
    }
    std::memcpy(static_cast<void*>(&value), bytes.data(), sizeof(T));
  } else if constexpr (detail::is_raw_vector<T>::value) {
    using E = typename T::value_type;
    std::uint64_t n = 0;
    if (bytes.size() < sizeof n) throw UnpicklingError("loads: truncated vector length");
    std::memcpy(&n, bytes.data(), sizeof n);
    if ((bytes.size() - sizeof n) / sizeof(E) != n || (bytes.size() - sizeof n) % sizeof(E) != 0) {
      throw UnpicklingError("loads: expected " + std::to_string(n) + " elements of " + std::to_string(sizeof(E)) +
                            " bytes, got " + std::to_string(bytes.size() - sizeof n) + " bytes");
    }
    value.resize(static_cast<std::size_t>(n));
    if (n) std::memcpy(static_cast<void*>(value.data()), bytes.data() + sizeof n, static_cast<std::size_t>(n) * sizeof(E));
  } else {
    detail::ViewSource source(bytes);
    std::istream is(&source);
    try {
      cereal::BinaryInputArchive archive(is);
      archive(value);
    } catch (const cereal::Exception& e) {
      throw UnpicklingError(std::string("loads: truncated or malformed data: ") + e.what());
    } catch (const std::length_error&) {
      throw UnpicklingError("loads: malformed data: a length prefix exceeds what the buffer can hold");
    } catch (const std::bad_alloc&) {
      throw UnpicklingError("loads: malformed data: a length prefix exceeds what the buffer can hold");
    }
  }
}

// Rebuilds a T from bytes produced by dumps<T>. Throws UnpicklingError.
template <serializable T>
T loads(std::string_view bytes) {
  static_assert(std::is_default_constructible_v<T>, "loads<T> needs a default-constructible T; use load_into");
  T value{};
  load_into(bytes, value);
  return value;
}

}  // namespace concur::serialization

// Bitwise structs (see is_bitwise_class) inside cereal-serialized values:
// std::vector<Point>, std::tuple<std::string, Point>, ...
namespace cereal {
template <class T>
  requires ::concur::serialization::detail::is_bitwise_class<T>
void CEREAL_SAVE_FUNCTION_NAME(BinaryOutputArchive& ar, const T& value) {
  ar(binary_data(&value, sizeof(T)));
}
template <class T>
  requires ::concur::serialization::detail::is_bitwise_class<T>
void CEREAL_LOAD_FUNCTION_NAME(BinaryInputArchive& ar, T& value) {
  ar(binary_data(&value, sizeof(T)));
}
}  // namespace cereal
