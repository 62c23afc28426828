// concur/detail/type_name.hpp — readable C++ type names and addresses for
// messages and reprs (private).
//
// The one place concur demangles: error text ("std::runtime_error: ..."),
// default names ("My_Process-1", Python's type(self).__name__) and
// PicklingError remedies. Thread-safe; allocates.
#pragma once

#include <string>
#include <typeinfo>

namespace concur::detail {

// The demangled, fully qualified name ("std::runtime_error").
std::string type_name(const std::type_info& type);

// The unqualified class name ("My_Process" for ns::My_Process), as Python's
// type(obj).__name__; template arguments are kept.
std::string class_name(const std::type_info& type);

// An object's address as CPython's reprs show id(): "0x7f3a2c001230".
std::string address_text(const void* p);

}  // namespace concur::detail
