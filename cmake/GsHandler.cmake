# gs_handler(<name> [SOURCES <file>...]): a built-in handler class, called
# from secondary/<name>/: its core, the static library gs_<name>_core from
# SOURCES (default <name>.c) that the unit tests link too, and gs-<name>
# from main.c, installed with the other binaries.
function(gs_handler name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gs_handler(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    set(arg_SOURCES ${name}.c)
  endif()

  add_library(gs_${name}_core STATIC ${arg_SOURCES})
  target_include_directories(gs_${name}_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(gs_${name}_core PUBLIC gs_shared PRIVATE gs_warnings)

  add_executable(gs-${name} main.c)
  target_link_libraries(gs-${name} PRIVATE gs_${name}_core gs_warnings)
  install(TARGETS gs-${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
