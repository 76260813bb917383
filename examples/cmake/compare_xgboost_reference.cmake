# Regenerates tests/data/xgboost/parity_reference.json with the installed
# python3-xgboost and checks it equals the stored file, byte for byte. With the
# Catch test "every round's validation metrics equal python3-xgboost 1.7.4's"
# (tunekit == stored file) this makes tunekit == the installed Python package.
#
#   cmake -DPYTHON=/usr/bin/python3 -DSCRIPT=<generate_parity_reference.py>
#         -DDIGITS=<digits.csv.gz> -DREFERENCE=<parity_reference.json> -P compare_xgboost_reference.cmake
foreach(_var IN ITEMS PYTHON SCRIPT DIGITS REFERENCE)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "compare_xgboost_reference.cmake: -D${_var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${PYTHON}" "${SCRIPT}" "${DIGITS}"
    OUTPUT_VARIABLE _fresh ERROR_VARIABLE _err RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} failed (${_rc}):\n${_err}")
endif()
file(READ "${REFERENCE}" _stored)
if(NOT _fresh STREQUAL _stored)
  message(FATAL_ERROR "python3-xgboost now gives other numbers than ${REFERENCE}; "
                      "if XGBoost was upgraded on purpose, regenerate the file (see the script's docstring)")
endif()
message(STATUS "python3-xgboost reproduces ${REFERENCE}")
