mod observe;
mod security_headers;

pub use observe::observe;
pub use security_headers::security_headers;
