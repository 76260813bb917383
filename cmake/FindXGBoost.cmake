# FindXGBoost — the XGBoost C API (xgboost/c_api.h, libxgboost).
#
#   find_package(XGBoost [1.7] [REQUIRED])
#
# Defines the imported target XGBoost::XGBoost and XGBoost_FOUND,
# XGBoost_VERSION, XGBoost_INCLUDE_DIR, XGBoost_LIBRARY.
#
# Why a find module and not XGBoost's own package config: Debian 12's
# libxgboost-dev (1.7.4) installs xgboost-config.cmake, whose
# XGBoostTargets-none.cmake imports, besides the library, the executable
# xgboost::runxgboost at /usr/bin/xgboost, which neither libxgboost-dev nor
# libxgboost0 installs (dpkg -L lists no bin/), so find_package(xgboost) stops
# with 'The imported target "xgboost::runxgboost" references the file
# "/usr/bin/xgboost" but this file does not exist' (checked on Debian 12,
# libxgboost-dev 1.7.4-1, CMake 3.25). Its
# xgboost.pc is no better: libdir=/usr/lib, where the library is not. So we look
# for the header and the library ourselves; the version comes from
# xgboost/version_config.h.
#
# A project that already has a target XGBoost::XGBoost (its own build of
# XGBoost, say) keeps it: this module then only reports it found.

if(TARGET XGBoost::XGBoost)
  set(XGBoost_FOUND TRUE)
  return()
endif()

find_path(XGBoost_INCLUDE_DIR NAMES xgboost/c_api.h)
find_library(XGBoost_LIBRARY NAMES xgboost)
mark_as_advanced(XGBoost_INCLUDE_DIR XGBoost_LIBRARY)

if(XGBoost_INCLUDE_DIR AND EXISTS "${XGBoost_INCLUDE_DIR}/xgboost/version_config.h")
  file(STRINGS "${XGBoost_INCLUDE_DIR}/xgboost/version_config.h" _xgboost_version_lines
       REGEX "^#define XGBOOST_VER_(MAJOR|MINOR|PATCH) ")
  set(XGBoost_VERSION "")
  foreach(_part IN ITEMS MAJOR MINOR PATCH)
    string(REGEX MATCH "XGBOOST_VER_${_part} +([0-9]+)" _ "${_xgboost_version_lines}")
    list(APPEND XGBoost_VERSION "${CMAKE_MATCH_1}")
  endforeach()
  list(JOIN XGBoost_VERSION "." XGBoost_VERSION)
  unset(_xgboost_version_lines)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost
    REQUIRED_VARS XGBoost_LIBRARY XGBoost_INCLUDE_DIR
    VERSION_VAR XGBoost_VERSION)

if(XGBoost_FOUND)
  add_library(XGBoost::XGBoost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::XGBoost PROPERTIES
      IMPORTED_LOCATION "${XGBoost_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${XGBoost_INCLUDE_DIR}")
endif()
