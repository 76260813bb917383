# Shared by report_cli.cmake and curves_cli.cmake: writes the tuned study
# (report_render_check --write-journal) to ${DIR}/tuned.journal and sets `journal`.
file(MAKE_DIRECTORY "${DIR}")
set(journal "${DIR}/tuned.journal")
execute_process(COMMAND "${WRITER}" --write-journal "${journal}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not write ${journal}")
endif()
