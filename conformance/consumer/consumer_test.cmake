# The consumer check: concur works as an installed package.
#
# Included from conformance/CMakeLists.txt, this file adds the CTest case
# `consumer.install_find_package`. The case runs this same file in script mode
# (cmake -P), which
#   1. installs the already-built library into <build>/consumer-test/prefix,
#   2. configures conformance/consumer/ against that prefix only
#      (find_package(concur CONFIG REQUIRED), CMAKE_PREFIX_PATH=<prefix>),
#   3. builds it (consumer, and readme_example and readme_pool_example, the
#      README's examples verbatim),
#   4. runs all three; the consumer prints "consumer ok: exitcodes 0 0".
# Any failing step ends the script with a CMake Error, which fails the case.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  add_test(NAME consumer.install_find_package
    COMMAND ${CMAKE_COMMAND}
      "-DBINARY_DIR=${CMAKE_BINARY_DIR}"
      "-DSOURCE_DIR=${CMAKE_CURRENT_LIST_DIR}"
      "-DWORK_DIR=${CMAKE_BINARY_DIR}/consumer-test"
      "-DGENERATOR=${CMAKE_GENERATOR}"
      "-DCXX=${CMAKE_CXX_COMPILER}"
      "-DBUILD_TYPE=${CMAKE_BUILD_TYPE}"
      "-DWERROR=${CONCUR_WERROR}"
      -P "${CMAKE_CURRENT_LIST_FILE}")
  set_tests_properties(consumer.install_find_package PROPERTIES
    TIMEOUT 300
    PASS_REGULAR_EXPRESSION "consumer ok: exitcodes 0 0"
    FAIL_REGULAR_EXPRESSION "CMake Error;consumer FAILED")
  return()
endif()

# ---- script mode -----------------------------------------------------------
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")

# step(<what> <command...>): runs the command; on failure stops with its output.
# The output is left in step_output.
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rv OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 240)
  if(NOT rv EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${rv}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step("cmake --install" "${CMAKE_COMMAND}" --install "${BINARY_DIR}" --prefix "${prefix}")

step("configure" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${build}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
  "-DCMAKE_PREFIX_PATH=${prefix}" "-DCONSUMER_WERROR=${WERROR}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
# The package must come from the install prefix, not from the build tree.
file(STRINGS "${build}/CMakeCache.txt" concur_dir REGEX "^concur_DIR:")
if(NOT concur_dir MATCHES "^concur_DIR:PATH=${prefix}/")
  message(FATAL_ERROR "consumer: concur was not found in ${prefix}: ${concur_dir}")
endif()

step("build" "${CMAKE_COMMAND}" --build "${build}" -j 2)

step("run consumer" "${build}/consumer")
message(STATUS "consumer output:\n${step_output}")
set(consumer_output "${step_output}")

step("run readme_example" "${build}/readme_example")
message(STATUS "readme_example output:\n${step_output}")
string(REGEX MATCHALL "\\[子进程-萌萌哒\\]PID：[0-9]+，PPID：[0-9]+" children "${step_output}")
list(LENGTH children n_children)
if(NOT step_output MATCHES "^\\[父进程\\]PID：[0-9]+，PPID：[0-9]+\n" OR NOT n_children EQUAL 3)
  message(FATAL_ERROR "consumer: readme_example should print the parent line and 3 child lines")
endif()

step("run readme_pool_example" "${build}/readme_pool_example")
message(STATUS "readme_pool_example output:\n${step_output}")
if(NOT step_output STREQUAL "100\n0 1 4 9 \n[子进程3]啊，我挂了～\nTrue False \n")
  message(FATAL_ERROR "consumer: readme_pool_example printed something else than the README shows")
endif()

# Printed last, so the pass expression only matches once every step succeeded.
message(STATUS "${consumer_output}")
