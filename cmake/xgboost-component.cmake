# The optional component tunekit::xgboost (include/tunekit/integrations/xgboost*):
# the XGBoost C API behind RAII types, a per-round pruning callback and a
# search-space fragment. Included from the top-level CMakeLists.txt where the
# other optional components find their dependencies; the generic loop there
# creates, verifies and installs the target (it defines TUNEKIT_HAS_XGBOOST).
#
#   TUNEKIT_WITH_XGBOOST   AUTO (default): built when XGBoost is found
#                          ON: XGBoost is required (configuring fails without it)
#                          OFF: not built, XGBoost not looked for
#
# XGBoost is found through cmake/FindXGBoost.cmake, because the package config
# Debian 12 ships is broken (see there).

set(TUNEKIT_WITH_XGBOOST AUTO CACHE STRING
    "Build the tunekit::xgboost component: AUTO (when XGBoost is found), ON (require XGBoost) or OFF")
set_property(CACHE TUNEKIT_WITH_XGBOOST PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${TUNEKIT_WITH_XGBOOST}" _tunekit_with_xgboost)
if(NOT _tunekit_with_xgboost MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "TUNEKIT_WITH_XGBOOST = '${TUNEKIT_WITH_XGBOOST}' is not allowed; use AUTO, ON or OFF")
endif()

set(_tunekit_pattern_xgboost "^tunekit/integrations/xgboost")
set(_tunekit_xgboost_headers ${_tunekit_all_headers})
list(FILTER _tunekit_xgboost_headers INCLUDE REGEX "${_tunekit_pattern_xgboost}")

# The core target was given every header that no earlier component claimed;
# these are ours, and they #error without TUNEKIT_HAS_XGBOOST, so take them back
# out of the core header set (else verifying and installing the core would
# compile or ship them as core headers).
get_target_property(_tunekit_core_set tunekit HEADER_SET)
list(FILTER _tunekit_core_set EXCLUDE REGEX "/include/tunekit/integrations/xgboost")
set_property(TARGET tunekit PROPERTY HEADER_SET ${_tunekit_core_set})
unset(_tunekit_core_set)

if(_tunekit_xgboost_headers AND NOT _tunekit_with_xgboost STREQUAL "OFF")
  list(APPEND _tunekit_components xgboost)
  if(NOT TARGET XGBoost::XGBoost)
    set(_tunekit_saved_module_path ${CMAKE_MODULE_PATH})
    list(PREPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
    if(_tunekit_with_xgboost STREQUAL "ON")
      find_package(XGBoost 1.7 REQUIRED)
    else()
      find_package(XGBoost 1.7 QUIET)
    endif()
    set(CMAKE_MODULE_PATH ${_tunekit_saved_module_path})
    unset(_tunekit_saved_module_path)
  endif()
  if(TARGET XGBoost::XGBoost)
    set(_tunekit_xgboost_deps XGBoost::XGBoost)
    list(APPEND TUNEKIT_AVAILABLE_COMPONENTS xgboost)
  endif()
endif()

# find_package(tunekit COMPONENTS xgboost) needs the find module too.
if(TUNEKIT_INSTALL AND "xgboost" IN_LIST TUNEKIT_AVAILABLE_COMPONENTS)
  if(DEFINED TUNEKIT_INSTALL_CMAKEDIR)
    set(_tunekit_xgboost_cmakedir "${TUNEKIT_INSTALL_CMAKEDIR}")
  else()
    set(_tunekit_xgboost_cmakedir "${CMAKE_INSTALL_DATADIR}/cmake/tunekit")  # the default set below
  endif()
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/FindXGBoost.cmake"
      DESTINATION "${_tunekit_xgboost_cmakedir}"
      COMPONENT tunekit)
  unset(_tunekit_xgboost_cmakedir)
endif()
unset(_tunekit_with_xgboost)
