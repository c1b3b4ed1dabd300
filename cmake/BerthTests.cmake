# Unit tests sit next to their code. Each module registers its tests with
# berth_add_unit_tests(); they are compiled once into an object library that
# feeds both a per-module binary (<module>_unit_tests, quick to iterate on)
# and the one aggregate binary berth_unit_tests that ctest runs.

set_property(GLOBAL PROPERTY BERTH_UNIT_TEST_OBJECTS "")

function(berth_add_unit_tests module)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT BERTH_BUILD_TESTS)
    return()
  endif()
  add_library(${module}_unit_tests_obj OBJECT ${ARG_SOURCES})
  target_link_libraries(${module}_unit_tests_obj PUBLIC ${ARG_LIBS} GTest::gtest GTest::gmock)
  add_executable(${module}_unit_tests $<TARGET_OBJECTS:${module}_unit_tests_obj>)
  target_link_libraries(${module}_unit_tests PRIVATE ${module}_unit_tests_obj GTest::gtest_main)
  set_property(GLOBAL APPEND PROPERTY BERTH_UNIT_TEST_OBJECTS ${module}_unit_tests_obj)
endfunction()

function(berth_finish_unit_tests)
  get_property(objs GLOBAL PROPERTY BERTH_UNIT_TEST_OBJECTS)
  set(sources "")
  foreach(obj IN LISTS objs)
    list(APPEND sources $<TARGET_OBJECTS:${obj}>)
  endforeach()
  add_executable(berth_unit_tests ${sources})
  target_link_libraries(berth_unit_tests PRIVATE ${objs} GTest::gtest_main)
  gtest_discover_tests(berth_unit_tests DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "BERTH_TEST_TMPDIR=${CMAKE_BINARY_DIR}/test-tmp")
endfunction()
