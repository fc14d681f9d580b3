# gs_protobuf_c(<target> <proto>...): compile .proto files with protoc-c into a static library.
function(gs_protobuf_c target)
  set(srcs)
  foreach(proto ${ARGN})
    get_filename_component(stem ${proto} NAME_WE)
    set(out_c ${CMAKE_CURRENT_BINARY_DIR}/${stem}.pb-c.c)
    set(out_h ${CMAKE_CURRENT_BINARY_DIR}/${stem}.pb-c.h)
    add_custom_command(OUTPUT ${out_c} ${out_h}
      COMMAND ${PROTOC_C} --c_out=${CMAKE_CURRENT_BINARY_DIR} -I ${CMAKE_CURRENT_SOURCE_DIR}
              ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
      COMMENT "protoc-c ${proto}" VERBATIM)
    list(APPEND srcs ${out_c})
  endforeach()
  add_library(${target} STATIC ${srcs})       # generated code: no -Werror
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${target} PUBLIC PkgConfig::PROTOBUF_C)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
