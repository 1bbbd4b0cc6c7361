/* Unit tests of vmm/lib/err.c's err_first: the first failure of an operation is the one kept. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "lib/err.h"

int main(void)
{
	char buf[32] = "";

	CHECK(err_first(buf, sizeof(buf), -ENOSPC, "round %d: %s", 3, "short write") == -ENOSPC,
	      "a -errno is returned as it is");
	CHECK(strcmp(buf, "round 3: short write") == 0, "the first failure is formatted into the buffer");
	CHECK(err_first(buf, sizeof(buf), 5, "later failure") == -EIO, "a code that is not a -errno becomes -EIO");
	CHECK(strcmp(buf, "round 3: short write") == 0, "a later failure does not replace the first");

	char small[8] = "";
	err_first(small, sizeof(small), -EIO, "a message longer than the buffer");
	CHECK(strcmp(small, "a messa") == 0, "a long message is cut to the buffer, NUL-terminated");
	CHECK(err_first(NULL, 0, -EPIPE, "nowhere to put it") == -EPIPE, "a zero-length buffer is left alone");
	CHECK_DONE();
}
