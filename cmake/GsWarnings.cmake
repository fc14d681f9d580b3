# gs_warnings: the warning set every gsnet target compiles with.
add_library(gs_warnings INTERFACE)
target_compile_options(gs_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2
  $<$<BOOL:${GS_WERROR}>:-Werror>)
