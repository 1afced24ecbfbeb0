/** The API keys every test service is configured with, one of each class. */
export const TEST_WRITE_KEY = 'test-write-key';
export const TEST_READ_KEY = 'test-read-key';
export const TEST_ADMIN_KEY = 'test-admin-key';
