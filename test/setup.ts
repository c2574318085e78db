/**
 * Runs in every vitest worker before the test files: cheaper password hashing
 * for the API tests (production keeps scrypt N = 2^14).
 */
import { setPasswordHashCost } from '../src/api/auth/passwords.js';

setPasswordHashCost(10);
