pub mod anonymize;
