#[derive(Debug, Clone, serde::Deserialize)]
pub struct TopologyConfig {}
impl TopologyConfig {
    pub fn validate(&self) -> Result<(), crate::error::FieldError> {
        Ok(())
    }
}
