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

include("${CMAKE_CURRENT_LIST_DIR}/integration-component.cmake")
tunekit_integration_component(xgboost XGBoost)

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
