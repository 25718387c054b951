/*
 * One CUnit binary for all unit tests.  Each test file registers its suites
 * with DG_UNIT_SUITE at load time, so adding a file to tests/unit/ is all it
 * takes to add tests (the Makefile picks up every .c there).
 */

#ifndef DG_UNIT_H
#define DG_UNIT_H

#include <CUnit/CUnit.h>

void dg_unit_register(const char *name, CU_TestInfo *tests);

#define DG_UNIT_SUITE(name, tests)                                          \
    static void __attribute__((constructor))                                \
    dg_unit_register_##name(void)                                           \
    {                                                                       \
        dg_unit_register(#name, tests);                                     \
    }

#endif /* DG_UNIT_H */
