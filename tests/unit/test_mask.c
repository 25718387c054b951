/*
 * Masking of personal IDs and phone numbers in log text (dg_mask.h).
 */

#include <string.h>

#include "unit.h"
#include "dg_mask.h"


static const char *
mask(const char *in)
{
    static char  buf[256];

    strcpy(buf, in);
    dg_mask(buf, strlen(buf));

    return buf;
}


static void
test_personal_id(void)
{
    CU_ASSERT_STRING_EQUAL(mask("031123456321"), "031******321");
    CU_ASSERT_STRING_EQUAL(mask("{\"SoGiayToChuHoSo\":\"001099012345\"}"),
                           "{\"SoGiayToChuHoSo\":\"001******345\"}");
    CU_ASSERT_STRING_EQUAL(mask("sub=079203000123&x=1"),
                           "sub=079******123&x=1");
    CU_ASSERT_STRING_EQUAL(mask("a 001099012345 b 079203000123"),
                           "a 001******345 b 079******123");
    CU_ASSERT_STRING_EQUAL(mask("id:001099012345."), "id:001******345.");
}


static void
test_phone(void)
{
    CU_ASSERT_STRING_EQUAL(mask("0912345678"), "091*****78");
    CU_ASSERT_STRING_EQUAL(mask("+84912345678"), "+8491*****78");
    CU_ASSERT_STRING_EQUAL(mask("84912345678"), "8491*****78");
    CU_ASSERT_STRING_EQUAL(mask("tel 0987654321, +84987654321"),
                           "tel 098*****21, +8498*****21");
}


static void
test_left_alone(void)
{
    /* times, Unix times, procedure codes, longer and shorter runs */
    CU_ASSERT_STRING_EQUAL(mask("20261124093000"), "20261124093000");
    CU_ASSERT_STRING_EQUAL(mask("created=1700000000"), "created=1700000000");
    CU_ASSERT_STRING_EQUAL(mask("1.001193.000.00.00.H31"),
                           "1.001193.000.00.00.H31");
    CU_ASSERT_STRING_EQUAL(mask("0311234563210"), "0311234563210");
    CU_ASSERT_STRING_EQUAL(mask("03112345632"), "03112345632");
    CU_ASSERT_STRING_EQUAL(mask("1912345678"), "1912345678");
    CU_ASSERT_STRING_EQUAL(mask("94912345678"), "94912345678");
    CU_ASSERT_STRING_EQUAL(mask("0912 345 678"), "0912 345 678");
    CU_ASSERT_STRING_EQUAL(mask(""), "");
    CU_ASSERT_STRING_EQUAL(mask("Nguy\xe1\xbb\x85n V\xc4\x83n A"),
                           "Nguy\xe1\xbb\x85n V\xc4\x83n A");
}


static void
test_bounds(void)
{
    char  buf[32];

    /* only len bytes are looked at: a run cut by the end is judged as
     * it stands */
    strcpy(buf, "x0311234563219999");
    dg_mask(buf, 13);
    CU_ASSERT_STRING_EQUAL(buf, "x031******3219999");

    strcpy(buf, "0311234563");
    dg_mask(buf, 0);
    CU_ASSERT_STRING_EQUAL(buf, "0311234563");

    /* the masked text of a masked text does not change */
    strcpy(buf, "031******321 091*****78");
    dg_mask(buf, strlen(buf));
    CU_ASSERT_STRING_EQUAL(buf, "031******321 091*****78");
}


static CU_TestInfo  tests[] = {
    { "personal IDs", test_personal_id },
    { "phone numbers", test_phone },
    { "left alone", test_left_alone },
    { "bounds", test_bounds },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(mask, tests)
