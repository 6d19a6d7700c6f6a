mod observe;
mod reject_nul;
mod security_headers;

pub use observe::observe;
pub use reject_nul::reject_nul;
pub use security_headers::security_headers;
