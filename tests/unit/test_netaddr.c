/* lib/netaddr.c: which addresses an outgoing webhook may reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/netaddr.h"

static bool pub(const char *s)
{
	bool ip = false;
	bool r = netaddr_text_is_public(s, &ip);
	assert_true(ip);
	return r;
}

static void test_refused(void **state)
{
	(void)state;
	const char *no[] = {
		"127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "224.0.0.1",
		"255.255.255.255", "240.0.0.1", "192.0.2.1", "198.18.0.1", "::", "::1", "[::1]",
		"fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
		"::ffff:10.1.2.3", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2001:db8::1",
		"fec0::1",
	};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (pub(no[i]))
			fail_msg("%s taken for a public address", no[i]);
	}
}

static void test_public(void **state)
{
	(void)state;
	const char *yes[] = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1",
			     "2a00:1450:4001::1", "[2606:4700::1111]", "::ffff:8.8.8.8",
			     "2002:0808:0808::1"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (!pub(yes[i]))
			fail_msg("%s refused", yes[i]);
	}
}

static void test_not_literals(void **state)
{
	(void)state;
	bool ip = true;
	assert_false(netaddr_text_is_public("example.com", &ip));
	assert_false(ip);
	assert_false(netaddr_text_is_public("", &ip));
	assert_false(netaddr_text_is_public(NULL, NULL));
	assert_false(netaddr_text_is_public("[]", &ip));
	assert_false(netaddr_is_public(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_not_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
