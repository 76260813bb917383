# Runs examples/svm_iris and benchmarks/peers/sklearn_svm_iris.py and checks that
# they print the same fold assignment, the same grid table (mean and per-fold
# scores, ranks) and the same best parameters and score.
#
#   cmake -DEXAMPLE=<svm_iris> -DPYTHON=/usr/bin/python3 -DPEER=<sklearn_svm_iris.py>
#         -DDATA_DIR=<examples/data> -P compare_svm_iris.cmake
foreach(_var IN ITEMS EXAMPLE PYTHON PEER DATA_DIR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "compare_svm_iris.cmake: -D${_var}=... is required")
  endif()
endforeach()

function(_compared_lines out_var)
  execute_process(COMMAND ${ARGN}
      OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR "'${_cmd}' failed (${_rc}):\n${_out}\n${_err}")
  endif()
  string(REGEX MATCHALL "(folds|grid C=|best_params|best_score)[^\n]*" _lines "${_out}")
  set(${out_var} "${_lines}" PARENT_SCOPE)
  set(${out_var}_full "${_out}" PARENT_SCOPE)
endfunction()

_compared_lines(tunekit "${EXAMPLE}" --data-dir "${DATA_DIR}")
_compared_lines(sklearn "${PYTHON}" "${PEER}" --data-dir "${DATA_DIR}")

list(LENGTH tunekit _n)
if(NOT _n EQUAL 19)  # folds + 16 grid points + best_params + best_score
  message(FATAL_ERROR "expected 19 compared lines from svm_iris, got ${_n}:\n${tunekit_full}")
endif()
if(NOT tunekit STREQUAL sklearn)
  message(FATAL_ERROR "svm_iris and scikit-learn disagree.\n"
                      "--- tunekit svm_iris ---\n${tunekit_full}\n"
                      "--- scikit-learn GridSearchCV ---\n${sklearn_full}")
endif()
list(FILTER tunekit INCLUDE REGEX "^best")
string(REPLACE ";" "\n" tunekit "${tunekit}")
message(STATUS "svm_iris agrees with scikit-learn's GridSearchCV:\n${tunekit}")
