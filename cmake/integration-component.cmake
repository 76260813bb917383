# What every optional integration component (cmake/xgboost-component.cmake,
# cmake/torch-component.cmake) does first: declare its TUNEKIT_WITH_<NAME>
# option (AUTO, ON or OFF), collect its headers
# (include/tunekit/integrations/<name>*), and take them out of the core
# target's header set, because they #error without their library (else
# verifying and installing the core would compile or ship them as core
# headers).
#
# A macro, so that what it sets is seen by the caller:
#   _tunekit_with_<name>      the option, upper-cased and checked
#   _tunekit_pattern_<name>   the regular expression of its header paths
#   _tunekit_<name>_headers   its headers
macro(tunekit_integration_component name library)
  string(TOUPPER "${name}" _tunekit_upper_name)
  set(TUNEKIT_WITH_${_tunekit_upper_name} AUTO CACHE STRING
      "Build the tunekit::${name} component: AUTO (when ${library} is found), ON (require ${library}) or OFF")
  set_property(CACHE TUNEKIT_WITH_${_tunekit_upper_name} PROPERTY STRINGS AUTO ON OFF)
  string(TOUPPER "${TUNEKIT_WITH_${_tunekit_upper_name}}" _tunekit_with_${name})
  if(NOT _tunekit_with_${name} MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "TUNEKIT_WITH_${_tunekit_upper_name} = '${TUNEKIT_WITH_${_tunekit_upper_name}}' "
        "is not allowed; use AUTO, ON or OFF")
  endif()

  set(_tunekit_pattern_${name} "^tunekit/integrations/${name}")
  set(_tunekit_${name}_headers ${_tunekit_all_headers})
  list(FILTER _tunekit_${name}_headers INCLUDE REGEX "${_tunekit_pattern_${name}}")

  get_target_property(_tunekit_core_set tunekit HEADER_SET)
  list(FILTER _tunekit_core_set EXCLUDE REGEX "/include/tunekit/integrations/${name}")
  set_property(TARGET tunekit PROPERTY HEADER_SET ${_tunekit_core_set})
  unset(_tunekit_core_set)
  unset(_tunekit_upper_name)
endmacro()
