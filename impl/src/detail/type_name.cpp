#include "concur/detail/type_name.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>

namespace concur::detail {

std::string type_name(const std::type_info& type) {
  int status = 0;
  char* raw = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string full = (status == 0 && raw) ? raw : type.name();
  std::free(raw);
  return full;
}

std::string class_name(const std::type_info& type) {
  std::string full = type_name(type);
  auto angle = full.find('<');
  auto colons = full.rfind("::", angle == std::string::npos ? full.npos : angle);
  return colons == std::string::npos ? full : full.substr(colons + 2);
}

std::string address_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

}  // namespace concur::detail
