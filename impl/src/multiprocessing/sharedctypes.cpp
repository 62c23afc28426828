#include "concur/multiprocessing/sharedctypes.hpp"

#include <cstdint>
#include <string>

namespace concur::multiprocessing::sharedctypes_detail {

namespace {

struct Entry {
  char code;
  const char* name;
};

// CPython sharedctypes.typecode_to_type (seed 004 §1.6), by ctypes name.
constexpr Entry kTypecodes[] = {
    {'c', ctype_name<char>()},      {'u', ctype_name<wchar_t>()},
    {'b', ctype_name<signed char>()}, {'B', ctype_name<unsigned char>()},
    {'h', ctype_name<short>()},     {'H', ctype_name<unsigned short>()},
    {'i', ctype_name<int>()},       {'I', ctype_name<unsigned>()},
    {'l', ctype_name<long>()},      {'L', ctype_name<unsigned long>()},
    {'q', ctype_name<long long>()}, {'Q', ctype_name<unsigned long long>()},
    {'f', ctype_name<float>()},     {'d', ctype_name<double>()},
};

}  // namespace

const char* ctype_name_of_typecode(std::string_view typecode) noexcept {
  if (typecode.size() != 1) return nullptr;
  for (const auto& e : kTypecodes)
    if (e.code == typecode[0]) return e.name;
  return nullptr;
}

void check_typecode(std::string_view typecode, char expected, const char* expected_name) {
  const char* name = ctype_name_of_typecode(typecode);
  // ctypes.sizeof(<not a ctypes type>) raises TypeError('this type has no size').
  if (name == nullptr) throw TypeError("this type has no size");
  if (expected == '\0' || typecode[0] != expected) {
    throw TypeError("typecode '" + std::string(typecode) + "' is " + name + ", which is not the C++ element type (" +
                    expected_name + ")");
  }
}

void throw_no_lock(const std::string& raw_name, const char* attribute) {
  throw AttributeError("'" + raw_name + "' object has no attribute '" + attribute + "'");
}

std::string wchar_repr(wchar_t c) {
  // The character as UTF-8, quoted as Python's repr quotes a str.
  std::string utf8;
  auto u = static_cast<std::uint32_t>(c);
  if (u < 0x80) {
    utf8 += static_cast<char>(u);
  } else if (u < 0x800) {
    utf8 += static_cast<char>(0xC0 | (u >> 6));
    utf8 += static_cast<char>(0x80 | (u & 0x3F));
  } else if (u < 0x10000) {
    utf8 += static_cast<char>(0xE0 | (u >> 12));
    utf8 += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    utf8 += static_cast<char>(0x80 | (u & 0x3F));
  } else {
    utf8 += static_cast<char>(0xF0 | (u >> 18));
    utf8 += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
    utf8 += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    utf8 += static_cast<char>(0x80 | (u & 0x3F));
  }
  return subprocess::python_repr(utf8);
}

void throw_invalid_index() { throw IndexError("invalid index"); }

void throw_wrong_slice_size() { throw ValueError("Can only assign sequence of same size"); }

}  // namespace concur::multiprocessing::sharedctypes_detail
